using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticAssets;
using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Auth;

/// <summary>
/// Every route the portal maps × every kind of caller, against a table of exact status codes. A route added
/// without a rule here fails <see cref="EveryMappedRoute_HasARule"/>.
/// </summary>
[StartEarly]
public sealed class AccessRulesTests(AccessRulesTests.Callers fixture) : IClassFixture<AccessRulesTests.Callers>
{
    public enum Caller { Anonymous, Viewer, Developer, Admin, RevokedToken }

    /// <param name="Route">The route pattern as mapped.</param>
    /// <param name="Url">A concrete address to request.</param>
    /// <param name="Expected">Status per caller, in <see cref="Caller"/> order.</param>
    public sealed record Rule(string Route, string Url, HttpMethod Method, bool Api, int[] Expected);

    // Pages sign in with the cookie (a bearer token means nothing to them); API endpoints with tokens.
    private static Rule Page(string route, string role, string? url = null) => new(route, url ?? route, HttpMethod.Get, false,
        [302, Allowed(role, PortalRoles.Viewer), Allowed(role, PortalRoles.Developer), Allowed(role, PortalRoles.Admin), 302]);

    /// <param name="success">What an allowed caller gets (a 404 for an id that does not exist still proves the caller got through).</param>
    private static Rule Api(string route, string role, string? url = null, int success = 200) => new(route, url ?? route, HttpMethod.Get, true,
        [401, .. new[] { PortalRoles.Viewer, PortalRoles.Developer, PortalRoles.Admin }.Select(caller => Allowed(role, caller) == 200 ? success : 403), 401]);

    private static Rule ApiPost(string route, string role, string url, int success) => new(route, url, HttpMethod.Post, true,
        [401, Allowed(role, PortalRoles.Viewer) == 200 ? success : 403, Allowed(role, PortalRoles.Developer) == 200 ? success : 403, success, 401]);

    private static Rule Public(string route, string? url = null) => new(route, url ?? route, HttpMethod.Get, false, [200, 200, 200, 200, 200]);

    private static int Allowed(string required, string caller) => PortalRoles.Rank(caller) >= PortalRoles.Rank(required) ? 200 : 403;

    public static readonly Rule[] Rules =
    [
        Page("/", PortalRoles.Viewer),
        Page("/scorecards", PortalRoles.Viewer),
        Page("/scorecards/objectives/{Id}", PortalRoles.Viewer, "/scorecards/objectives/portal-uptime"),
        Page("/queries", PortalRoles.Developer),
        Page("/queries/health", PortalRoles.Developer),
        Page("/queries/activity", PortalRoles.Developer),
        Page("/queries/waits", PortalRoles.Developer),
        Page("/queries/{QueryId:long}", PortalRoles.Developer, "/queries/42"),
        Page("/admin/targets", PortalRoles.Admin),
        Page("/admin/vitals-apps", PortalRoles.Admin),
        Page("/vitals/page", PortalRoles.Viewer),
        Page("/vitals", PortalRoles.Viewer),
        Page("/prometheus", PortalRoles.Developer),
        Page("/cache", PortalRoles.Viewer),
        Page("/alerts", PortalRoles.Viewer),
        Page("/reports/{Id:long}", PortalRoles.Viewer, "/reports/999999"),
        new("/reports/{id:long}/print", "/reports/999999/print", HttpMethod.Get, false, [302, 404, 404, 404, 302]),
        // The e-mails' unsubscribe link needs no sign-in: its signed token is the authority (none here: refused alike).
        new("/reports/unsubscribe", "/reports/unsubscribe", HttpMethod.Get, false, [400, 400, 400, 400, 400]),
        new("/reports/unsubscribe", "/reports/unsubscribe?token=forged.token", HttpMethod.Post, false, [400, 400, 400, 400, 400]),
        Page("/alerts/notifications", PortalRoles.Viewer),
        Page("/alerts/notifications/{Id:long}", PortalRoles.Viewer, "/alerts/notifications/999999"),
        Page("/alerts/{Fingerprint}", PortalRoles.Viewer, "/alerts/0000000000000000"),
        Page("/reports", PortalRoles.Viewer),
        Page("/lab", PortalRoles.Viewer),
        Page("/lab/load-tests", PortalRoles.Viewer),
        new("/lab/runs/{id:long}", "/lab/runs/999999", HttpMethod.Get, false, [302, 404, 404, 404, 302]),
        Page("/jobs", PortalRoles.Viewer),
        Page("/account", PortalRoles.Viewer),
        Page("/admin/users", PortalRoles.Admin),
        Page("/admin/audit", PortalRoles.Admin),
        Page("/hangfire/{**path}", PortalRoles.Admin, "/hangfire"),
        Api("/api/v1/me", PortalRoles.Viewer),
        Api("/api/v1/audit", PortalRoles.Admin),
        Api("/api/v1/prometheus/query", PortalRoles.Developer, "/api/v1/prometheus/query?query=up"),
        Api("/api/v1/prometheus/query_range", PortalRoles.Developer, "/api/v1/prometheus/query_range?query=up&start=1700000000&end=1700000600&step=60"),
        Api("/api/v1/cache", PortalRoles.Viewer),
        Api("/api/v1/scorecards", PortalRoles.Viewer),
        Api("/api/v1/alerts", PortalRoles.Viewer),
        Api("/api/v1/alerts/notifications", PortalRoles.Viewer),
        Api("/api/v1/silences", PortalRoles.Viewer),
        ApiPost("/api/v1/silences", PortalRoles.Admin, "/api/v1/silences", 415),
        ApiPost("/api/v1/alerts/test", PortalRoles.Admin, "/api/v1/alerts/test?destination=nowhere", 400), // no Slack configured here
        Api("/api/v1/alerts/{fingerprint}", PortalRoles.Viewer, "/api/v1/alerts/0000000000000000", 404),
        Api("/api/v1/alerts/notifications/{id:long}", PortalRoles.Viewer, "/api/v1/alerts/notifications/999999", 404),
        Api("/api/v1/alerts/destinations", PortalRoles.Viewer),
        Api("/api/v1/alerts/rules", PortalRoles.Viewer),
        ApiPost("/api/v1/alerts/{fingerprint}/acknowledge", PortalRoles.Developer, "/api/v1/alerts/0000000000000000/acknowledge", 404),
        Api("/api/v1/alerts/backtest", PortalRoles.Developer, "/api/v1/alerts/backtest?rule=nowhere", 404),
        ApiPost("/api/v1/alerts/backtest", PortalRoles.Developer, "/api/v1/alerts/backtest", 400), // an empty file is no rules file
        ApiPost("/api/v1/alerts/notifications/{id:long}/retry", PortalRoles.Admin, "/api/v1/alerts/notifications/999999/retry", 404),
        Api("/api/v1/scorecards.csv", PortalRoles.Viewer),
        Api("/api/v1/reports", PortalRoles.Viewer),
        Api("/api/v1/reports/{id:long}", PortalRoles.Viewer, "/api/v1/reports/999999", 404),
        Api("/api/v1/reports/{id:long}/key-metrics.csv", PortalRoles.Viewer, "/api/v1/reports/999999/key-metrics.csv", 404),
        // A form post: an admin gets through to the body's check (a JSON object is expected).
        ApiPost("/api/v1/reports/preview", PortalRoles.Admin, "/api/v1/reports/preview", 400),
        ApiPost("/api/v1/reports/{id:long}/send", PortalRoles.Admin, "/api/v1/reports/999999/send", 400),
        Api("/api/v1/scorecards/{service}", PortalRoles.Viewer, "/api/v1/scorecards/portal"),
        Api("/api/v1/targets", PortalRoles.Developer),
        Api("/api/v1/queries", PortalRoles.Developer),
        Api("/api/v1/queries/{queryId:long}", PortalRoles.Developer, "/api/v1/queries/42", 404),
        // An empty post: no parameters, an unknown statement.
        ApiPost("/api/v1/queries/{queryId:long}/explain", PortalRoles.Developer, "/api/v1/queries/42/explain", 404),
        Api("/api/v1/queries/health", PortalRoles.Developer),
        Api("/api/v1/queries/risks", PortalRoles.Developer),
        Api("/api/v1/queries/activity", PortalRoles.Developer),
        Api("/api/v1/queries/waits", PortalRoles.Developer),
        // Web Vitals ingestion is anonymous (app pages send it, identified by their key); a form post is refused by its type.
        new("/api/v1/vitals", "/api/v1/vitals", HttpMethod.Post, true, [415, 415, 415, 415, 415]),
        Api("/api/v1/vitals/apps", PortalRoles.Admin),
        ApiPost("/api/v1/vitals/apps", PortalRoles.Admin, "/api/v1/vitals/apps", 400),
        Api("/api/v1/vitals/summary", PortalRoles.Viewer),
        Api("/api/v1/jobs", PortalRoles.Viewer),
        Api("/api/v1/lab/lighthouse", PortalRoles.Viewer),
        Api("/api/v1/lab/lighthouse/{id:long}/report", PortalRoles.Viewer, "/api/v1/lab/lighthouse/999999/report", 404),
        ApiPost("/api/v1/lab/lighthouse", PortalRoles.Developer, "/api/v1/lab/lighthouse?service=shop", 415),
        Api("/api/v1/loadtests", PortalRoles.Viewer),
        Api("/api/v1/loadtests/{id:long}/summary", PortalRoles.Viewer, "/api/v1/loadtests/999999/summary", 404),
        ApiPost("/api/v1/loadtests", PortalRoles.Developer, "/api/v1/loadtests?service=shop&scenario=checkout", 415),
        Api("/api/v1/jobs/{id}/runs", PortalRoles.Viewer, "/api/v1/jobs/heartbeat/runs"),
        ApiPost("/api/v1/jobs/{id}/run", PortalRoles.Admin, "/api/v1/jobs/cache-cleanup/run", 202), // not the job the pause rule pauses: cases run in any order
        ApiPost("/api/v1/jobs/{id}/pause", PortalRoles.Admin, "/api/v1/jobs/job-history-cleanup/pause", 200),
        ApiPost("/api/v1/jobs/{id}/resume", PortalRoles.Admin, "/api/v1/jobs/job-history-cleanup/resume", 200),
        // Signed-in users are sent from the login page to where they were going.
        new("/login", "/login", HttpMethod.Get, false, [200, 302, 302, 302, 200]),
        // A form post without its antiforgery token is refused once the caller is known.
        new("/logout", "/logout", HttpMethod.Post, false, [302, 400, 400, 400, 302]),
        Public("/healthz"),
        Public("/readyz"),
        Public("/metrics"),
        Public("/not-found"),
        Public("/error"),
        Public("/status/{Code:int}", "/status/404"),
        // Development's fallback for files outside the static-asset manifest: sign in first, then nothing there.
        new("/{**path:file}", "/no-such-file.txt", HttpMethod.Get, false, [302, 404, 404, 404, 302]),
    ];

    // Framework plumbing mapped by MapRazorComponents; the circuit itself needs a signed-in user (see below).
    private static bool IsFramework(string route) => route.StartsWith("/_blazor", StringComparison.Ordinal) || route.StartsWith("/_framework", StringComparison.Ordinal);

    private IEnumerable<string> MappedRoutes() => fixture.Running.Portal.Services.GetRequiredService<EndpointDataSource>().Endpoints
        .OfType<RouteEndpoint>()
        .Where(endpoint => endpoint.Metadata.GetMetadata<StaticAssetDescriptor>() is null)
        .Select(endpoint => "/" + endpoint.RoutePattern.RawText!.TrimStart('/'))
        .Where(route => !IsFramework(route))
        .Distinct();

    [Fact]
    public void EveryMappedRoute_HasARule()
    {
        var mapped = MappedRoutes().Order(StringComparer.Ordinal).ToList();
        var ruled = Rules.Select(rule => rule.Route).Distinct().Order(StringComparer.Ordinal).ToList();

        Assert.Equal(ruled, mapped);
    }

    public static TheoryData<string, Caller> Cases()
    {
        var cases = new TheoryData<string, Caller>();
        foreach (var rule in Rules)
        {
            foreach (var caller in Enum.GetValues<Caller>())
            {
                cases.Add($"{rule.Method} {rule.Route}", caller);
            }
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Request_ByCaller_GetsExactlyTheRuledStatus(string methodAndRoute, Caller caller)
    {
        var rule = Rules.Single(candidate => $"{candidate.Method} {candidate.Route}" == methodAndRoute);
        var client = await fixture.ClientAsync(caller, rule.Api);
        // A post is a form post, as a cross-site attacker would send it.
        using var request = new HttpRequestMessage(rule.Method, new Uri(rule.Url, UriKind.Relative))
        {
            Content = rule.Method == HttpMethod.Post ? new FormUrlEncodedContent([]) : null,
        };

        using var response = await client.SendAsync(request);

        Assert.Equal(rule.Expected[(int)caller], (int)response.StatusCode);
        if (response.StatusCode == HttpStatusCode.Redirect && caller is Caller.Anonymous or Caller.RevokedToken)
        {
            Assert.StartsWith("/login?ReturnUrl=", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        }
        if ((int)response.StatusCode is 401 or 403 && rule.Api)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Circuit_Anonymous_CannotConnect()
    {
        using var client = SignIn.NewClient(fixture.Running.Portal.BaseAddress);

        using var response = await client.PostAsync(new Uri("/_blazor/negotiate?negotiateVersion=1", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    /// <summary>
    /// A running portal and one client per kind of caller, made when a case first needs it and kept for the class's
    /// other cases (a user of each role signed in once: a sign-in per case was two password hashes each, 447 times).
    /// No rule's request changes its caller: a form post without its token is refused before it could sign out.
    /// </summary>
    public sealed class Callers : IAsyncLifetime
    {
        private readonly Dictionary<(Caller, bool), HttpClient> clients = [];

        public RunningPortal Running { get; private set; } = null!;

        public async Task<HttpClient> ClientAsync(Caller caller, bool api)
        {
            if (!clients.TryGetValue((caller, api), out var client))
            {
                client = await NewClientAsync(caller, api);
                clients[(caller, api)] = client;
            }
            return client;
        }

        private async Task<HttpClient> NewClientAsync(Caller caller, bool api)
        {
            var portal = Running.Portal;
            var role = caller.ToString();
            switch (caller)
            {
                case Caller.Anonymous:
                    return SignIn.NewClient(portal.BaseAddress);
                case Caller.RevokedToken:
                    return WithBearer(SignIn.NewClient(portal.BaseAddress), await portal.RevokedTokenAsync());
                default:
                    return api ? WithBearer(SignIn.NewClient(portal.BaseAddress), await portal.TokenAsync(role)) : await portal.SignedInClientAsync(role);
            }
        }

        private static HttpClient WithBearer(HttpClient client, string token)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        public async Task InitializeAsync() => Running = await RunningPortal.StartAsync();

        public async Task DisposeAsync()
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
            await Running.DisposeAsync();
        }
    }
}
