using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Vitals;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Vitals;

/// <summary>
/// POST /api/v1/vitals against a real portal and PostgreSQL: what is accepted is stored, what is refused leaves nothing.
/// One portal for the class (its tests run one after another): each counts what it adds.
/// </summary>
public sealed class VitalsIngestionTests(VitalsIngestionTests.Shop fixture) : IClassFixture<VitalsIngestionTests.Shop>
{
    private const string ShopOrigin = "https://shop.example";

    public sealed class Shop : PortalOnFreshDatabase
    {
        public string Key { get; } = VitalsApps.NewKey();

        protected override void Configure(Dictionary<string, string?> settings) => settings["Vitals:RequestsPerMinutePerKey"] = "1000";

        protected override async Task SeedAsync(NpgsqlConnection connection) =>
            await connection.ExecuteAsync("INSERT INTO vitals_apps (id, name, public_key, allowed_origins) VALUES ('shop', 'Shop', @Key, @origins)",
                new { Key, origins = new[] { ShopOrigin } });
    }

    private string Key => fixture.Key;

    private PortalApp App => fixture.App;

    private TestDatabase Database => fixture.Database;

    public static object Event(string name = "LCP", double value = 1200, string? id = null, string page = "/checkout?step=2", string device = "mobile") =>
        new { name, value, delta = value, rating = "good", id = id ?? $"v5-{Guid.NewGuid():N}", navigationType = "navigate", page, device, attribution = new { target = "main > img" } };

    private async Task<HttpResponseMessage> PostAsync(object body, string contentType = "application/json", string? origin = ShopOrigin, string? header = null)
    {
        using var client = App.CreateHttpClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/vitals")
        {
            Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, new MediaTypeHeaderValue(contentType)),
        };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        if (header is not null)
        {
            request.Headers.Add("X-Portal-Key", header);
        }
        return await client.SendAsync(request);
    }

    private async Task<long> CountAsync()
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM vitals_events");
    }

    [Fact]
    public async Task Batch_Accepted_IsStoredWithTheRatingByThePortalsThresholds()
    {
        var ids = new[] { $"v5-batch-{Guid.NewGuid():N}", $"v5-batch-{Guid.NewGuid():N}", $"v5-batch-{Guid.NewGuid():N}" };
        var response = await PostAsync(new { key = Key, events = new[] { Event("LCP", 1200, ids[0]), Event("CLS", 0.3, ids[1]), Event("INP", 350, ids[2]) } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(ShopOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        var rows = (await connection.QueryAsync<(string Metric, string Rating, string Page, string Device, string Attribution)>(
            "SELECT metric, rating, page, device, attribution FROM vitals_events WHERE app = 'shop' AND event_id = ANY(@ids) ORDER BY metric", new { ids })).ToList();
        Assert.Equal([("CLS", "poor"), ("INP", "needs-improvement"), ("LCP", "good")], rows.Select(row => (row.Metric, row.Rating)));
        Assert.All(rows, row => Assert.Equal(("/checkout", "mobile"), (row.Page, row.Device))); // the query string is not the page
        Assert.Contains("main > img", rows[2].Attribution);
    }

    [Fact]
    public async Task SingleEvent_AsTextPlainWithTheKeyInAHeader_IsAccepted()
    {
        var before = await CountAsync();

        var response = await PostAsync(Event("TTFB", 90), "text/plain", header: Key);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(before + 1, await CountAsync());
    }

    public static TheoryData<string, object, string, int, string> BadInputs() => new()
    {
        { "unknown metric", new { events = new[] { Event(), Event(name: "FID") } }, "application/json", 400, "events[1].name: unknown metric" },
        { "CLS above 10", new { events = new[] { Event("CLS", 11) } }, "application/json", 400, "events[0].value: 11 is out of range for CLS" },
        { "time above 120 s", new { events = new[] { Event("LCP", 120_001) } }, "application/json", 400, "events[0].value: 120001 is out of range for LCP" },
        { "negative time", new { events = new[] { Event("FCP", -1) } }, "application/json", 400, "events[0].value" },
        { "path over 512", new { events = new[] { Event(page: "/" + new string('a', 512)) } }, "application/json", 400, "events[0].page: 513 characters" },
        { "missing id", new { events = new[] { Event(), new { name = "LCP", value = 10.0, page = "/" } } }, "application/json", 400, "events[1].id: missing" },
        { "unknown device", new { events = new[] { Event(device: "watch") } }, "application/json", 400, "events[0].device" },
        { "not JSON", "{not json", "application/json", 400, "body: not JSON" },
        { "101 events", new { events = Enumerable.Range(0, 101).Select(_ => Event()).ToArray() }, "application/json", 413, "events: 101 events" },
        { "over 64 KB", new { events = new[] { Event() }, padding = new string('x', 70_000) }, "application/json", 413, "body:" },
        { "form content", new { events = new[] { Event() } }, "application/x-www-form-urlencoded", 415, "Content-Type" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInput_RefusedWithItsStatusAndTheField_NothingStored(string because, object body, string contentType, int status, string detail)
    {
        var withKey = body is string ? body : JsonSerializer.Deserialize<Dictionary<string, object>>(JsonSerializer.Serialize(body))!
            .Append(new KeyValuePair<string, object>("key", Key)).ToDictionary();

        var before = await CountAsync();

        var response = await PostAsync(withKey, contentType);

        Assert.True(status == (int)response.StatusCode, $"{because}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith(detail, problem.RootElement.GetProperty("detail").GetString());
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Key_MissingOrUnknown_401_OriginNotAllowed_403_NothingStored()
    {
        var before = await CountAsync();

        var missing = await PostAsync(new { events = new[] { Event() } });
        var unknown = await PostAsync(new { key = "pk_nobody", events = new[] { Event() } });
        var foreign = await PostAsync(new { key = Key, events = new[] { Event() } }, origin: "https://evil.example");

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden), (missing.StatusCode, unknown.StatusCode, foreign.StatusCode));
        Assert.Contains("key: missing", await missing.Content.ReadAsStringAsync());
        Assert.Equal(before, await CountAsync());
    }

    [Theory]
    [InlineData(ShopOrigin, 204)]
    [InlineData("https://evil.example", 403)]
    public async Task Preflight_AnsweredForAllowedOriginsOnly(string origin, int status)
    {
        using var client = App.CreateHttpClient();
        var request = new HttpRequestMessage(HttpMethod.Options, "/api/v1/vitals");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type, x-portal-key");

        var response = await client.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        if (status == 204)
        {
            Assert.Equal(origin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Contains("X-Portal-Key", response.Headers.GetValues("Access-Control-Allow-Headers").Single());
        }
    }

    [Fact]
    public async Task Snippet_IsServedToOtherSitesAsAModuleScript()
    {
        using var client = App.CreateHttpClient();

        var response = await client.GetAsync("/vitals.js");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("sendBeacon", await response.Content.ReadAsStringAsync());
    }
}

/// <summary>The per-key limit (a separate portal: its limits are configured low).</summary>
public sealed class VitalsRateLimitTests : PortalOnFreshDatabase
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Vitals:RequestsPerMinutePerKey"] = "3";

    [Fact]
    public async Task PerKey_PastTheLimit_429WithRetryAfter()
    {
        var key = await App.Services.GetRequiredService<VitalsApps>().PortalKeyAsync();
        using var client = App.CreateHttpClient();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 4; i++)
        {
            last = await client.PostAsync("/api/v1/vitals", new StringContent(JsonSerializer.Serialize(new { key, events = new[] { VitalsIngestionTests.Event() } }), Encoding.UTF8, "text/plain"));
            statuses.Add(last.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], statuses);
        Assert.True(last.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {last.Headers.RetryAfter}");
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        Assert.Equal(3, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM vitals_events"));
    }
}
