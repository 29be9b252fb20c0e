using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Playwright;
using Npgsql;
using Portal.Data;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Deployment;

/// <summary>
/// `./portal up --web 2`: two web replicas of the same build, each with a home folder of its own (as two hosts), the
/// worker, and HAProxy in front with sticky sessions, on the test's PostgreSQL, Redis and Prometheus.
/// </summary>
public sealed class TwoReplicas : IAsyncLifetime
{
    public const string AdminPassword = "scale-out-Admin-1";

    public TestDatabase Database { get; private set; } = null!;

    public PortalUp Up { get; private set; } = null!;

    public Uri Replica(int number) => new($"http://127.0.0.1:{Up.Port($"WEB{number}_PORT")}");

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateEmptyAsync(); // the replicas migrate it, together
        var settings = PortalSettings.For(Database);
        Up = await PortalUp.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Portal"] = settings["ConnectionStrings:Portal"],
            ["ConnectionStrings:Redis"] = settings["ConnectionStrings:Redis"],
            ["Prometheus:Url"] = settings["Prometheus:Url"],
            ["PORTAL_ADMIN_PASSWORD"] = AdminPassword,
            // Jobs succeed every 2 s, so the Jobs page visibly updates.
            ["Jobs:Schedules:heartbeat"] = "*/2 * * * * *",
        }, "--web", "2");
    }

    public async Task DisposeAsync()
    {
        await Up.DisposeAsync();
        await Database.DisposeAsync();
    }
}

/// <summary>
/// The replicas as an organisation runs them; the last test kills one under a signed-in browser and a stream of Web
/// Vitals (<see cref="RunsLastAttribute"/>: one `up` for the class instead of a second for that test alone).
/// </summary>
[StartEarly]
[TestCaseOrderer("Portal.Tests.Infrastructure.RunsLastOrderer", "Portal.Tests")]
public sealed class ScaleOutTests(TwoReplicas replicas, Chromium chromium) : IClassFixture<TwoReplicas>, IClassFixture<Chromium>
{
    private static string AuthCookie(HttpResponseMessage response) =>
        response.Headers.GetValues("Set-Cookie").Single(value => value.StartsWith("portal.auth=", StringComparison.Ordinal)).Split(';')[0];

    [Fact]
    public async Task EveryProcess_ReadsTheCheckoutsCatalogueAndRules_AndThePagesSayWhich()
    {
        // Each process once read the copy published beside it: an edit of the root slas.yaml did nothing until the next up.
        foreach (var process in new[] { "web1", "web2", "jobs" })
        {
            var environment = (await File.ReadAllTextAsync($"/proc/{replicas.Up.ProcessId(process)}/environ")).Split('\0');
            Assert.Contains($"Scorecards__CatalogueFile={Repository.File("slas.yaml")}", environment);
            Assert.Contains($"Alerts__RulesFile={Repository.File("alerts.yaml")}", environment);
        }
        using var client = SignIn.NewClient(replicas.Up.BaseAddress);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, (await SignIn.PostAsync(client, "admin", TwoReplicas.AdminPassword)).StatusCode);
        Assert.Contains($"<code data-testid=\"catalogue-path\">{Repository.File("slas.yaml")}</code>", await client.GetStringAsync("/scorecards"));
        Assert.Contains($"<code data-testid=\"rules-path\">{Repository.File("alerts.yaml")}</code>", await client.GetStringAsync("/alerts"));
    }

    [Fact]
    public async Task SlasCheck_OfTheRules_ChecksThemAgainstTheCatalogueInForce()
    {
        var (_, output, errors) = await replicas.Up.CommandAsync("slas", "check", Repository.File("alerts.yaml"));

        // It once looked for the catalogue beside the project (Portal/slas.yaml), found none, and skipped the `sli` rules.
        Assert.DoesNotContain("no valid SLA catalogue", output + errors, StringComparison.Ordinal);
        Assert.Contains($"{Repository.File("alerts.yaml")}: ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_PrintsTheTokenAlone_AndItOpensTheApi()
    {
        var (code, output, errors) = await replicas.Up.CommandAsync("token", "ci-bot", "--role", "Viewer");

        Assert.True(code == 0, output + errors);
        Assert.Equal("", errors); // no migration or start-up logs
        var token = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var client = new HttpClient { BaseAddress = replicas.Up.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", token.Trim());
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/api/v1/jobs")).StatusCode);
    }

    [Fact]
    public async Task SignInThroughTheProxy_CookieAcceptedByEachReplicaDirectly()
    {
        using var client = SignIn.NewClient(replicas.Up.BaseAddress);
        using var signedIn = await SignIn.PostAsync(client, "admin", TwoReplicas.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var cookie = AuthCookie(signedIn);

        foreach (var replica in new[] { replicas.Replica(1), replicas.Replica(2) })
        {
            using var direct = new HttpClient { BaseAddress = replica };
            direct.DefaultRequestHeaders.Add("Cookie", cookie);
            using var me = await direct.GetAsync(new Uri("/api/v1/me", UriKind.Relative));
            Assert.True(me.StatusCode == HttpStatusCode.OK, $"{replica}: {(int)me.StatusCode}");
            Assert.Contains("\"login\":\"admin\"", await me.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task FormRenderedByOneReplica_PostedToTheOther_Accepted()
    {
        // One browser's cookies (cookies belong to the host, whatever its port): the form and its antiforgery cookie
        // come from replica 1, the post goes to replica 2.
        var cookies = new CookieContainer();
        using var first = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = replicas.Replica(1) };
        using var second = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = replicas.Replica(2) };
        var token = await SignIn.AntiforgeryTokenAsync(first);

        using var posted = await second.PostAsync(new Uri("/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.Login"] = "admin",
            ["Input.Password"] = TwoReplicas.AdminPassword,
        }));

        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
    }

    [Fact]
    public async Task ReplicasStartedTogether_EachMigrationAppliedOnce_OneKey()
    {
        await using var connection = new NpgsqlConnection(replicas.Database.ConnectionString);

        var journal = (await connection.QueryAsync<string>("SELECT scriptname FROM schema_migrations ORDER BY schemaversionsid")).AsList();
        var keys = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM data_protection_keys");

        Assert.Equal(DatabaseMigrator.ShippedMigrations(), journal);
        Assert.Equal(1, keys);
    }

    [Fact]
    public async Task RoundRobinWithoutStickiness_WouldSplitAPage_TheProxyKeepsABrowserOnOneReplica()
    {
        using var client = SignIn.NewClient(replicas.Up.BaseAddress);

        var replicasSeen = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var page = await client.GetAsync(new Uri("/login", UriKind.Relative));
            page.EnsureSuccessStatusCode();
            if (page.Headers.TryGetValues("Set-Cookie", out var set) && set.FirstOrDefault(value => value.StartsWith("portal_replica=", StringComparison.Ordinal)) is { } sticky)
            {
                replicasSeen.Add(sticky.Split(';')[0]);
            }
        }

        // The cookie is set once, on the first answer; every later request carries it and stays where it was.
        Assert.Single(replicasSeen);
    }

    private static async Task<int> SucceededCountAsync(IPage page) =>
        int.TryParse(await page.Locator("[data-testid=count-succeeded]").InnerTextAsync(), out var count) ? count : -1;

    private async Task<IPage> SignInThroughTheProxyAsync(string path)
    {
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(new Uri(replicas.Up.BaseAddress, $"/login?ReturnUrl={Uri.EscapeDataString(path)}").ToString());
        await page.FillAsync("#login", "admin");
        await page.FillAsync("#password", TwoReplicas.AdminPassword);
        await page.ClickAsync("button[type=submit]");
        try
        {
            // A replica's first page can be rendered cold (JIT), early in the run, beside the heaviest classes.
            await page.WaitForURLAsync(new Uri(replicas.Up.BaseAddress, path).ToString(), new PageWaitForURLOptions { Timeout = 60_000 });
        }
        catch (TimeoutException)
        {
            // Once in CI the page did not get there in 30 s: say where it was instead (the login again? an error page?).
            throw new TimeoutException($"Signing in through the proxy did not reach {path} in 60 s; the page is at {page.Url}: {await page.Locator("body").InnerTextAsync()}");
        }
        await Chromium.WaitForCircuitAsync(page);
        return page;
    }

    private static async Task<string> StickyReplicaAsync(IPage page) =>
        (await page.Context.CookiesAsync()).Single(cookie => cookie.Name == "portal_replica").Value;

    private static async Task ExpectLiveUpdatesAsync(IPage page)
    {
        var before = await SucceededCountAsync(page);
        await Eventually.HoldsAsync(async () => await SucceededCountAsync(page) > before, TimeSpan.FromSeconds(20),
            $"the Jobs page's succeeded count to move on from {before} without a reload");
    }

    [Fact]
    [RunsLast]
    public async Task ReplicaKilled_BrowserCarriesOnOnTheOtherSignedIn_VitalsAnswered202AreAllStored()
    {
        var page = await SignInThroughTheProxyAsync("/jobs");
        await ExpectLiveUpdatesAsync(page);
        var doomed = await StickyReplicaAsync(page);

        string key;
        await using (var connection = new NpgsqlConnection(replicas.Database.ConnectionString))
        {
            key = await connection.QuerySingleAsync<string>("SELECT public_key FROM vitals_apps WHERE id = 'portal'");
        }
        using var stop = new CancellationTokenSource();
        var stream = Task.Run(() => PostVitalsUntilAsync(key, stop.Token));
        await Task.Delay(TimeSpan.FromSeconds(2));

        // SIGKILL, as when its host or container dies: no shutdown code runs.
        var killedAt = DateTimeOffset.UtcNow;
        using (var victim = System.Diagnostics.Process.GetProcessById(replicas.Up.ProcessId(doomed)))
        {
            victim.Kill();
            await victim.WaitForExitAsync();
        }

        // The overlay shows, the reconnection is refused by the survivor (it never had this circuit), the page reloads
        // there: same address, still signed in, live again.
        await Eventually.HoldsAsync(async () => await StickyReplicaAsync(page) != doomed, TimeSpan.FromSeconds(45),
            "the browser to move to the surviving replica");
        await Chromium.WaitForCircuitAsync(page);
        Assert.Equal(new Uri(replicas.Up.BaseAddress, "/jobs").ToString(), page.Url);
        await Expect(page.Locator("[data-testid=counts]")).ToBeVisibleAsync();
        await ExpectLiveUpdatesAsync(page);
        await Chromium.ScreenshotAsync(page, "replica-failover");

        await Task.Delay(TimeSpan.FromSeconds(2));
        await stop.CancelAsync();
        var answers = await stream;

        Assert.All(answers, answer => Assert.Contains(answer.Status, new[] { HttpStatusCode.Accepted, HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable }));
        Assert.Contains(answers, answer => answer.At > killedAt.AddSeconds(1) && answer.Status == HttpStatusCode.Accepted); // the survivor takes them
        await using (var connection = new NpgsqlConnection(replicas.Database.ConnectionString))
        {
            var stored = (await connection.QueryAsync<(string Page, long Events)>(
                "SELECT page AS \"Page\", count(*) AS \"Events\" FROM vitals_events WHERE page LIKE '/scale-out/%' GROUP BY page")).ToDictionary(row => row.Page, row => row.Events);
            foreach (var accepted in answers.Where(answer => answer.Status == HttpStatusCode.Accepted))
            {
                Assert.Equal(BatchSize, stored.GetValueOrDefault(accepted.Page));
            }
        }
    }

    private const int BatchSize = 5;

    private sealed record Answer(string Page, HttpStatusCode Status, DateTimeOffset At);

    /// <summary>Batches through the proxy, one after another, each to a page of its own, until stopped.</summary>
    private async Task<List<Answer>> PostVitalsUntilAsync(string key, CancellationToken stop)
    {
        using var client = new HttpClient { BaseAddress = replicas.Up.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var answers = new List<Answer>();
        for (var batch = 0; !stop.IsCancellationRequested; batch++)
        {
            var page = $"/scale-out/batch-{batch}"; // a word, not a number: numbers are grouped as :id
            var events = Enumerable.Range(0, BatchSize).Select(_ => Features.Vitals.VitalsIngestionTests.Event(page: page)).ToArray();
            var body = new StringContent(JsonSerializer.Serialize(new { key, events }), Encoding.UTF8, "text/plain");
            try
            {
                using var response = await client.PostAsync(new Uri("/api/v1/vitals", UriKind.Relative), body, CancellationToken.None);
                answers.Add(new Answer(page, response.StatusCode, DateTimeOffset.UtcNow));
            }
            catch (HttpRequestException)
            {
                answers.Add(new Answer(page, HttpStatusCode.BadGateway, DateTimeOffset.UtcNow)); // the connection dropped: no answer, nothing promised
            }
            await Task.Delay(50, CancellationToken.None);
        }
        return answers;
    }
}
