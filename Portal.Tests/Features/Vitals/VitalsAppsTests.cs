using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Vitals;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Vitals;

/// <summary>Apps as an admin manages them: validated, audited, and a rotated key refused at once.</summary>
public sealed class VitalsAppsTests : PortalOnFreshDatabase
{
    private static readonly ClaimsPrincipal Admin = new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin"), new Claim(ClaimTypes.Role, PortalRoles.Admin)], "test"));

    protected override void Configure(Dictionary<string, string?> settings) => settings["Vitals:RequestsPerMinutePerAddress"] = "5";

    private VitalsApps Apps => App.Services.GetRequiredService<VitalsApps>();

    private async Task<HttpStatusCode> SendAsync(string key, string origin = "https://shop.example")
    {
        using var client = App.CreateHttpClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/vitals")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { key, name = "LCP", value = 900, id = Guid.NewGuid().ToString(), page = "/" }), Encoding.UTF8, "text/plain"),
        };
        request.Headers.Add("Origin", origin);
        return (await client.SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task AppsPage_ShowsTheIngestionLimitsInForce()
    {
        using var admin = await App.SignedInClientAsync(PortalRoles.Admin);

        var page = await admin.GetStringAsync(new Uri("/admin/vitals-apps", UriKind.Relative));

        Assert.Contains("5 requests a minute per client address", page, StringComparison.Ordinal);
        Assert.Contains("60,000 a minute per app key", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Shop", "shop.example.com", "is not an origin")]
    [InlineData("Shop", "https://shop.example.com/path", "is not an origin")]
    [InlineData("Bad Id!", "https://shop.example.com", "The id is")]
    public async Task Save_InvalidApp_ExplainsAndStoresNothing(string id, string origin, string error)
    {
        var message = await Apps.SaveAsync(Admin, new VitalsApp { Id = id == "Shop" ? "shop" : id, Name = "Shop", AllowedOrigins = [origin] }, create: true);

        Assert.Contains(error, message);
        Assert.Equal(["portal"], (await Apps.ListAsync()).Select(app => app.Id));
    }

    [Fact]
    public async Task CreateThenRotate_Audited_TheOldKeyRefusedAtOnce()
    {
        Assert.Null(await Apps.SaveAsync(Admin, new VitalsApp { Id = "shop", Name = "Shop", AllowedOrigins = ["https://shop.example"], SampleRate = 0.5 }, create: true));
        var created = (await Apps.FindAsync("shop"))!;
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(created.PublicKey));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(created.PublicKey, origin: "https://other.example"));

        await Apps.RotateKeyAsync(Admin, "shop");

        var rotated = (await Apps.FindAsync("shop"))!;
        Assert.NotEqual(created.PublicKey, rotated.PublicKey);
        Assert.NotNull(rotated.KeyRotatedAt);
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(created.PublicKey));
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(rotated.PublicKey));
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        Assert.Equal(["vitals.app.create", "vitals.app.rotate-key"],
            await connection.QueryAsync<string>("SELECT action FROM audit_log WHERE actor = 'admin' AND subject = 'shop' ORDER BY id"));
    }

    [Fact]
    public async Task PerAddress_PastTheLimit_429EvenAcrossApps()
    {
        Assert.Null(await Apps.SaveAsync(Admin, new VitalsApp { Id = "shop", Name = "Shop", AllowedOrigins = ["https://shop.example"] }, create: true));
        var shop = (await Apps.FindAsync("shop"))!.PublicKey;
        var portal = (await Apps.PortalKeyAsync())!;

        var statuses = new List<HttpStatusCode>();
        foreach (var key in new[] { shop, portal, shop, portal, shop, portal })
        {
            statuses.Add(await SendAsync(key, key == portal ? "" : "https://shop.example"));
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Accepted, 5).Append(HttpStatusCode.TooManyRequests), statuses);
    }

    [Fact]
    public async Task AppsApi_AdminOnly_WithKeys()
    {
        using var admin = await App.SignedInClientAsync(PortalRoles.Admin);

        using var body = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/vitals/apps"));

        var portal = Assert.Single(body.RootElement.EnumerateArray());
        Assert.Equal(await Apps.PortalKeyAsync(), portal.GetProperty("publicKey").GetString());
    }

    [Fact]
    public async Task AppsApi_CreatesAnApp_WithItsKey_RefusesBadOnesAndDuplicates()
    {
        using var admin = App.CreateHttpClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await App.TokenAsync(PortalRoles.Admin));
        Task<HttpResponseMessage> PostAsync(object body) => admin.PostAsync(new Uri("/api/v1/vitals/apps", UriKind.Relative), System.Net.Http.Json.JsonContent.Create(body));

        using var created = await PostAsync(new { id = "redmine", name = "Redmine", allowedOrigins = new List<string> { "https://redmine.example" }, sampleRate = 0.5 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/v1/vitals/apps/redmine", created.Headers.Location!.OriginalString);
        using var app = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var stored = await Apps.FindAsync("redmine");
        Assert.Equal((stored!.PublicKey, "Redmine", 0.5), (app.RootElement.GetProperty("publicKey").GetString(), stored.Name, stored.SampleRate));
        Assert.StartsWith("pk_", stored.PublicKey, StringComparison.Ordinal);

        using var duplicate = await PostAsync(new { id = "redmine" });
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        using var badOrigin = await PostAsync(new { id = "shop", allowedOrigins = new List<string> { "https://shop.example/path" } });
        Assert.Equal(HttpStatusCode.BadRequest, badOrigin.StatusCode);
        Assert.Contains("is not an origin", await badOrigin.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var noId = await PostAsync(new { name = "Nameless" });
        Assert.Equal(HttpStatusCode.BadRequest, noId.StatusCode);
        Assert.Null(await Apps.FindAsync("shop"));
    }
}
