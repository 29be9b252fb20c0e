using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Vitals;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Hosting;

/// <summary>
/// X-Forwarded-* headers are believed from configured proxies only: the scheme (the cookie's Secure flag), the client
/// address (audit log, rate limits). The test's requests come from 127.0.0.1, trusted or not by configuration.
/// </summary>
public sealed class ForwardedHeadersTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await database.DisposeAsync();

    private PortalApp Start(string knownProxy, int perAddressLimit = 1000, int perKeyLimit = 100_000)
    {
        var settings = PortalSettings.For(database);
        settings["ForwardedHeaders:KnownProxies:0"] = knownProxy;
        settings["Vitals:RequestsPerMinutePerAddress"] = perAddressLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Vitals:RequestsPerMinutePerKey"] = perKeyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new PortalApp(settings).Start();
    }

    private static async Task<string> SignInCookieAsync(PortalApp portal, params (string Name, string Value)[] headers)
    {
        var account = await portal.CreateAsync(PortalRoles.Viewer);
        using var client = SignIn.NewClient(portal.BaseAddress);
        foreach (var (name, value) in headers)
        {
            client.DefaultRequestHeaders.Add(name, value);
        }
        using var response = await SignIn.PostAsync(client, account.Login, account.Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Single(value => value.StartsWith("portal.auth=", StringComparison.Ordinal));
    }

    private async Task<string?> AuditedAddressOfSilenceAsync(PortalApp portal, string forwardedFor)
    {
        var token = await portal.TokenAsync(PortalRoles.Admin);
        using var client = portal.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        using var response = await client.PostAsJsonAsync(new Uri("/api/v1/silences", UriKind.Relative),
            new { matchers = new { alertname = "Maintenance" }, startsAt = DateTimeOffset.UtcNow, endsAt = DateTimeOffset.UtcNow.AddHours(1), comment = "where from?" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        return await connection.QuerySingleAsync<string?>("SELECT host(client_address) FROM audit_log WHERE action = 'silence.create'");
    }

    [Fact]
    public async Task TrustedProxy_ForwardedHttps_CookieIsSecure()
    {
        await using var portal = Start("127.0.0.1");

        var cookie = await SignInCookieAsync(portal, ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "portal.example.com"));

        Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UntrustedAddress_ForwardedHttps_Ignored()
    {
        await using var portal = Start("10.1.2.3");

        var cookie = await SignInCookieAsync(portal, ("X-Forwarded-Proto", "https"));

        Assert.DoesNotContain("; secure", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TrustedProxy_AuditLog_RecordsTheForwardedClient()
    {
        await using var portal = Start("127.0.0.1");

        Assert.Equal("203.0.113.7", await AuditedAddressOfSilenceAsync(portal, "203.0.113.7"));
    }

    [Fact]
    public async Task UntrustedAddress_AuditLog_RecordsThePeerNotTheClaim()
    {
        await using var portal = Start("10.1.2.3");

        Assert.Equal("127.0.0.1", await AuditedAddressOfSilenceAsync(portal, "203.0.113.7"));
    }

    private static async Task<HttpStatusCode> PostVitalsAsync(PortalApp portal, string key, string forwardedFor, Action<HttpResponseMessage>? inspect = null)
    {
        using var client = portal.CreateHttpClient();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        var body = JsonSerializer.Serialize(new { key, events = new[] { Features.Vitals.VitalsIngestionTests.Event() } });
        using var response = await client.PostAsync(new Uri("/api/v1/vitals", UriKind.Relative), new StringContent(body, Encoding.UTF8, "text/plain"));
        inspect?.Invoke(response);
        return response.StatusCode;
    }

    [Fact]
    public async Task TrustedProxy_RateLimit_OneClientThrottledFirst_AnotherWithTheSameKeyStillAccepted()
    {
        // The key's budget (3) is more than one client's (2): a client past its own limit must not spend the key's.
        await using var portal = Start("127.0.0.1", perAddressLimit: 2, perKeyLimit: 3);
        var key = (await portal.Services.GetRequiredService<VitalsApps>().PortalKeyAsync())!;
        TimeSpan? retryAfter = null;

        var first = new[]
        {
            await PostVitalsAsync(portal, key, "198.51.100.1"), await PostVitalsAsync(portal, key, "198.51.100.1"),
            await PostVitalsAsync(portal, key, "198.51.100.1", response => retryAfter = response.Headers.RetryAfter?.Delta),
        };
        var other = await PostVitalsAsync(portal, key, "198.51.100.2");

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], first);
        Assert.True(retryAfter > TimeSpan.Zero, $"Retry-After: {retryAfter}");
        Assert.Equal(HttpStatusCode.Accepted, other);
    }

    [Fact]
    public async Task UntrustedAddress_RateLimit_ClaimedAddressesShareThePeersBudget()
    {
        await using var portal = Start("10.1.2.3", perAddressLimit: 2);
        var key = (await portal.Services.GetRequiredService<VitalsApps>().PortalKeyAsync())!;

        var statuses = new[] { await PostVitalsAsync(portal, key, "198.51.100.1"), await PostVitalsAsync(portal, key, "198.51.100.2"), await PostVitalsAsync(portal, key, "198.51.100.3") };

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], statuses);
    }

    private static async Task<HttpStatusCode> PostPortalVitalsFromAsync(PortalApp portal, string origin)
    {
        var key = (await portal.Services.GetRequiredService<VitalsApps>().PortalKeyAsync())!;
        using var client = portal.CreateHttpClient();
        client.DefaultRequestHeaders.Add("Origin", origin);
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        client.DefaultRequestHeaders.Add("X-Forwarded-Host", "portal.example.com");
        var body = JsonSerializer.Serialize(new { key, events = new[] { Features.Vitals.VitalsIngestionTests.Event() } });
        using var response = await client.PostAsync(new Uri("/api/v1/vitals", UriKind.Relative), new StringContent(body, Encoding.UTF8, "text/plain"));
        return response.StatusCode;
    }

    [Fact]
    public async Task TrustedProxy_PortalsOwnPagesOverHttps_VitalsAcceptedAsItsOwnOrigin()
    {
        await using var portal = Start("127.0.0.1");

        Assert.Equal(HttpStatusCode.Accepted, await PostPortalVitalsFromAsync(portal, "https://portal.example.com"));
    }

    [Fact]
    public async Task UntrustedAddress_ClaimedOrigin_NotTheOwnOrigin()
    {
        await using var portal = Start("10.1.2.3");

        Assert.Equal(HttpStatusCode.Forbidden, await PostPortalVitalsFromAsync(portal, "https://portal.example.com"));
    }
}
