using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Auth;

public sealed class HeaderModeTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await database.DisposeAsync();

    private PortalApp Start(string? trustedProxy, string defaultRole = "Viewer")
    {
        var settings = PortalSettings.For(database);
        settings["Auth:Mode"] = "Header";
        settings["Auth:Header:GroupRoles:eng-admins"] = "Admin";
        settings["Auth:Header:GroupRoles:developers"] = "Developer";
        settings["Auth:Header:DefaultRole"] = defaultRole;
        if (trustedProxy is not null)
        {
            settings["Auth:Header:TrustedProxies:0"] = trustedProxy;
        }
        return new PortalApp(settings).Start();
    }

    private static HttpClient ProxiedClient(PortalApp portal, string email, string groups)
    {
        var client = SignIn.NewClient(portal.BaseAddress);
        client.DefaultRequestHeaders.Add("X-Forwarded-Email", email);
        client.DefaultRequestHeaders.Add("X-Forwarded-Groups", groups);
        return client;
    }

    [Fact]
    public async Task TrustedProxy_GroupsMapToTheHighestRole()
    {
        await using var portal = Start(trustedProxy: null); // loopback: the test client is the proxy
        using var client = ProxiedClient(portal, "ada@example.com", "staff, developers, eng-admins");

        var me = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/me", UriKind.Relative));
        using var users = await client.GetAsync(new Uri("/admin/users", UriKind.Relative));

        Assert.Equal("ada@example.com", me.GetProperty("login").GetString());
        Assert.Equal("Admin", me.GetProperty("role").GetString());
        Assert.Equal("proxy", me.GetProperty("authMethod").GetString());
        Assert.Equal(HttpStatusCode.OK, users.StatusCode);
    }

    [Fact]
    public async Task TrustedProxy_UnmappedGroups_GetTheDefaultRoleOrRefusedWithoutOne()
    {
        await using var viewerDefault = Start(trustedProxy: null);
        using var viewer = ProxiedClient(viewerDefault, "bob@example.com", "sales");
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync(new Uri("/", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync(new Uri("/queries", UriKind.Relative))).StatusCode);

        await using var noDefault = Start(trustedProxy: null, defaultRole: "");
        using var refused = ProxiedClient(noDefault, "eve@example.com", "sales");
        Assert.Equal(HttpStatusCode.Unauthorized, (await refused.GetAsync(new Uri("/api/v1/me", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task UntrustedSource_WithHeaders_Gets403()
    {
        await using var portal = Start(trustedProxy: "10.20.30.40"); // the test client (127.0.0.1) is not the proxy
        using var client = ProxiedClient(portal, "mallory@example.com", "eng-admins");

        using var page = await client.GetAsync(new Uri("/admin/users", UriKind.Relative));
        using var api = await client.GetAsync(new Uri("/api/v1/me", UriKind.Relative));
        using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task LoginPage_InHeaderMode_PointsToTheProxy()
    {
        await using var portal = Start(trustedProxy: null);
        using var client = SignIn.NewClient(portal.BaseAddress);

        var page = await client.GetStringAsync(new Uri("/login", UriKind.Relative));

        Assert.Contains("single sign-on proxy", page, StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"Input.Password\"", page, StringComparison.Ordinal);
    }
}
