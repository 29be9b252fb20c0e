using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Dapper;
using Microsoft.Playwright;
using Npgsql;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Auth;

/// <summary>
/// Cross-site request forgery on the API: a page of another origin of the same site (another port here, a subdomain
/// in a company) posting a form in a signed-in admin's browser is refused; the portal's own pages and API tokens are not.
/// One portal for the class: each test starts with the job it pauses running again and counts what it audits.
/// </summary>
[StartEarly]
public sealed class CrossSiteRequestTests(RunningPortalWithSlackFixture fixture, Chromium chromium) : IClassFixture<RunningPortalWithSlackFixture>, IClassFixture<Chromium>, IAsyncLifetime
{
    private readonly RunningPortal running = fixture.Running;

    // An earlier test of the class may have paused the job (the accepted requests do).
    public async Task InitializeAsync()
    {
        using var client = running.Portal.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await running.Portal.TokenAsync(PortalRoles.Admin));
        using var resumed = await client.PostAsync(new Uri("/api/v1/jobs/cache-cleanup/resume", UriKind.Relative), null);
        resumed.EnsureSuccessStatusCode();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<bool> PausedAsync(string job)
    {
        using var client = running.Portal.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await running.Portal.TokenAsync(PortalRoles.Viewer));
        using var jobs = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/v1/jobs", UriKind.Relative)));
        return jobs.RootElement.EnumerateArray().Single(item => item.GetProperty("id").GetString() == job).GetProperty("paused").GetBoolean();
    }

    private async Task<long> AuditedAsync(string action)
    {
        await using var connection = new NpgsqlConnection(running.Database.ConnectionString);
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = @action", new { action });
    }

    [Theory]
    [InlineData("/api/v1/jobs/cache-cleanup/pause", "job.pause")]
    [InlineData("/api/v1/jobs/cache-cleanup/run", "job.run")]
    [InlineData("/api/v1/alerts/test", "alerts.test")]
    public async Task FormPostedFromAnotherOriginInAnAdminsBrowser_Refused_NothingDoneNothingAudited(string path, string action)
    {
        var page = await chromium.OpenAsync(running.Portal, PortalRoles.Admin, "/jobs");
        var audited = await AuditedAsync(action);
        var attacker = $"http://127.0.0.1:{LoopbackPort.Free()}/win-a-prize";
        var target = new Uri(running.Portal.BaseAddress, path);
        await page.RouteAsync(attacker, route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "text/html",
            Body = $"<form id=forged method=post action=\"{target}\"></form><script>document.getElementById('forged').submit()</script>",
        }));

        var answer = await page.RunAndWaitForResponseAsync(() => page.GotoAsync(attacker), response => response.Url == target.ToString());

        Assert.Equal(403, answer.Status);
        Assert.Contains("Cross-site request refused", await answer.TextAsync(), StringComparison.Ordinal);
        Assert.False(await PausedAsync("cache-cleanup"));
        Assert.Equal(audited, await AuditedAsync(action));
    }

    [Fact]
    public async Task FetchFromThePortalsOwnPage_Accepted()
    {
        var page = await chromium.OpenAsync(running.Portal, PortalRoles.Admin, "/jobs");
        var audited = await AuditedAsync("job.pause");

        var status = await page.EvaluateAsync<int>("async () => (await fetch('/api/v1/jobs/cache-cleanup/pause', { method: 'POST' })).status");

        Assert.Equal(200, status);
        Assert.True(await PausedAsync("cache-cleanup"));
        Assert.Equal(audited + 1, await AuditedAsync("job.pause"));
    }

    [Fact]
    public async Task CookieWithoutProofOfOrigin_Refused_ApiTokenAccepted()
    {
        using var cookie = await running.Portal.SignedInClientAsync(PortalRoles.Admin);
        using var refused = await cookie.PostAsync(new Uri("/api/v1/jobs/cache-cleanup/pause", UriKind.Relative), null);

        using var token = running.Portal.CreateHttpClient();
        token.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await running.Portal.TokenAsync(PortalRoles.Admin));
        using var accepted = await token.PostAsync(new Uri("/api/v1/jobs/cache-cleanup/pause", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task CookieWithTheAntiforgeryTokenOfAPortalPage_Accepted()
    {
        using var client = await running.Portal.SignedInClientAsync(PortalRoles.Admin);
        // The token a portal page carries (the app bar's sign-out form), sent as a header, as a script of the page would.
        var token = await SignIn.AntiforgeryTokenAsync(client, "/jobs");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/v1/jobs/cache-cleanup/pause", UriKind.Relative));
        request.Headers.Add("RequestVerificationToken", token);
        request.Headers.Add("Sec-Fetch-Site", "same-site");

        using var answer = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }
}
