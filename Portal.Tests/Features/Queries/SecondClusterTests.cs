using Dapper;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Alerts;
using Portal.Features.Auth;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>
/// Someone else's database, as a team adopting the portal has it: a PostgreSQL 15 cluster of its own, the application
/// role <c>shop</c> running pgbench (200 transactions on each of 2 clients between two snapshots), a superuser's
/// one-off work, and the portal reading it through the monitoring role created with the README's SQL.
/// </summary>
public sealed class OthersDatabase : IAsyncLifetime
{
    public const int Clients = 2;
    public const int TransactionsPerClient = 200;

    public SecondCluster Cluster { get; private set; } = null!;

    public TestDatabase Database { get; private set; } = null!;

    public PortalApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await SecondCluster.StartAsync();
        await Cluster.PgbenchAsync("-i", "-s", "1", "-q");
        Database = await TestDatabase.CreateAsync();
        var settings = PortalSettings.For(Database);
        settings["Queries:Targets:shop:ConnectionString"] = Cluster.Monitor;
        settings["Queries:Targets:shop:Description"] = "The shop's own cluster";
        App = new PortalApp(settings).Start();

        var snapshots = App.Services.GetRequiredService<QuerySnapshots>();
        await snapshots.TakeAsync("shop");
        await Cluster.PgbenchAsync("-n", "-c", Clients.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", TransactionsPerClient.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The administrator's one-off work in psql: a bulk copy and a slow sleep.
        await SecondCluster.ExecuteAsync(Cluster.Superuser(), "CREATE TABLE accounts_copy AS SELECT * FROM pgbench_accounts", "SELECT pg_sleep(0.4)");
        await snapshots.TakeAsync("shop");
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Database.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

public sealed class SecondClusterTests(OthersDatabase others) : IClassFixture<OthersDatabase>
{
    private T Service<T>() where T : notnull => others.App.Services.GetRequiredService<T>();

    private QueryTarget Shop => Service<QueryTargets>().Find("shop")!;

    private async Task<TopQueries> TopAsync(bool inScope)
    {
        var statistics = Service<QueryStatistics>();
        var (from, to) = await statistics.ResolveAsync("shop", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow);
        return await statistics.TopAsync(new TopQueriesRequest("shop", from, to, Limit: 1_000) { InScope = inScope });
    }

    [Fact]
    public async Task TopList_InScope_IsTheWorkload_NotTheMonitoringRoleNorPostgres_AndEveryStatementOnRequest()
    {
        Assert.Equal(["portal_monitor", "postgres", "postgres_exporter"], Shop.Scope.ExcludedUsers);

        var scoped = await TopAsync(inScope: true);
        Assert.All(scoped.Rows, row => Assert.Equal("shop", row.UserName));
        // pgbench's own count: each transaction updates pgbench_accounts once.
        var update = Assert.Single(scoped.Rows, row => row.Query.StartsWith("UPDATE pgbench_accounts SET abalance", StringComparison.Ordinal));
        Assert.Equal(OthersDatabase.Clients * OthersDatabase.TransactionsPerClient, update.Calls);

        var everything = await TopAsync(inScope: false);
        Assert.Contains(everything.Rows, row => row.UserName == "postgres" && row.Query.Contains("pg_sleep", StringComparison.Ordinal));
        Assert.Contains(everything.Rows, row => row.UserName == "postgres" && row.Query.Contains("accounts_copy", StringComparison.Ordinal));
        Assert.Contains(everything.Rows, row => row.UserName == "portal_monitor" && row.Query.Contains("pg_stat_statements", StringComparison.Ordinal));
        Assert.Equal(everything.Rows.Count(row => row.UserName == "shop"), scoped.TotalCount);

        // The API, with `scope=all` for every statement; and the target's scope beside its checklist.
        using var developer = await others.App.SignedInClientAsync(PortalRoles.Developer);
        async Task<List<string>> UsersAsync(string query)
        {
            using var answer = JsonDocument.Parse(await developer.GetStringAsync($"/api/v1/queries?target=shop&window=1h&limit=1000{query}"));
            return [.. answer.RootElement.GetProperty("queries").EnumerateArray().Select(row => row.GetProperty("userName").GetString()!).Distinct().Order()];
        }
        Assert.Equal(["shop"], await UsersAsync(""));
        Assert.Equal(["portal_monitor", "postgres", "shop"], await UsersAsync("&scope=all"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await developer.GetAsync("/api/v1/queries?target=shop&window=1h&scope=some")).StatusCode);
        var page = System.Net.WebUtility.HtmlDecode(await developer.GetStringAsync("/queries?target=shop&range=1h"));
        Assert.Contains("In scope: every user but portal_monitor, postgres, postgres_exporter · every database · at least 1 call in the window", page);
    }

    [Fact]
    public async Task QueryAlertSource_ReadsTheSlowestStatementInScope_NotTheAdministratorsSleep()
    {
        var rule = new AlertRule { Name = "SlowShop", Source = AlertSources.Query, Severity = AlertSeverities.Warning, Threshold = 100, Target = "shop", Over = TimeSpan.FromHours(1) };
        var observed = Assert.Single(await Service<AlertEvaluator>().ObserveAsync(rule, DateTimeOffset.UtcNow));

        var scoped = await TopAsync(inScope: true);
        Assert.Equal(scoped.Rows.Max(row => row.MeanTimeMs), observed.Value!.Value, 6);
        Assert.True(observed.Value < 400, $"{observed.Value} ms: the superuser's pg_sleep(0.4) was read");
        // Narrowed by the rule: statements called at least as often as pgbench's transactions.
        var busy = Assert.Single(await Service<AlertEvaluator>().ObserveAsync(rule with { MinCalls = OthersDatabase.Clients * OthersDatabase.TransactionsPerClient }, DateTimeOffset.UtcNow));
        Assert.Equal(scoped.Rows.Where(row => row.Calls >= OthersDatabase.Clients * OthersDatabase.TransactionsPerClient).Max(row => row.MeanTimeMs), busy.Value!.Value, 6);
    }

    [Fact]
    public async Task EveryQueriesFeature_WorksWithTheReadmesRole_OrSaysWhichGrantIsMissing()
    {
        // The checklist matches the README's role: statistics and cancel granted, EXPLAIN not, with its GRANT.
        var status = await Service<TargetCheck>().RunAsync(Shop);
        Assert.True(status.Ready, string.Join("; ", status.Problems.Select(problem => problem.What)));
        Assert.Equal([("statistics", true), ("explain", false), ("cancel", true)], status.Capabilities.Select(capability => (capability.Key, capability.Granted)));

        // EXPLAIN says which grant it needs, not only that it failed.
        var update = (await TopAsync(inScope: true)).Rows.Single(row => row.Query.StartsWith("UPDATE pgbench_accounts", StringComparison.Ordinal));
        var explained = await Service<QueryExplain>().ExplainAsync("shop", update.Query, ["1", "1"], analyze: false);
        Assert.Null(explained.Plan);
        Assert.Contains("The target's role portal_monitor may not read this statement's tables (permission denied for table pgbench_accounts)", explained.Refusal);
        Assert.Contains(TargetCheck.ExplainGrant("portal_monitor"), explained.Refusal);

        // Index health reads the shop's tables through pg_monitor's statistics.
        var health = await Service<IndexHealth>().ReadAsync("shop");
        Assert.Contains(health.Largest, relation => relation.Name.EndsWith("pgbench_accounts", StringComparison.Ordinal));

        // Maintenance risks through pg_monitor on another cluster: every database's age and the connections; the shop's
        // own sequence (near its end) only named, with the one grant that would let the role read it.
        await using (var shop = new NpgsqlConnection(others.Cluster.App))
        {
            await shop.ExecuteAsync("CREATE SEQUENCE IF NOT EXISTS ticket AS smallint; SELECT setval('ticket', 31000);");
        }
        var risks = await Service<MaintenanceRisks>().ReadAsync("shop");
        Assert.Equal(["app", "postgres", "template1"], risks.Risks.Where(risk => risk.Kind == RiskKinds.Xid && risk.Subject.StartsWith("database ", StringComparison.Ordinal))
            .Select(risk => risk.Subject["database ".Length..]).Order(StringComparer.Ordinal));
        Assert.Contains(risks.Risks, risk => risk.Kind == RiskKinds.Connections && risk.Used >= 1);
        Assert.Equal(["public.ticket"], risks.UnreadableSequences);
        Assert.Equal("GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO portal_monitor;", risks.Grant);

        // The same through the API, for scripts: EXPLAIN (422 with the grant), index health, activity.
        using var api = others.App.CreateHttpClient();
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await others.App.TokenAsync(PortalRoles.Developer));
        using (var refused = await api.PostAsync(new Uri($"/api/v1/queries/{update.QueryId}/explain?target=shop", UriKind.Relative),
                   System.Net.Http.Json.JsonContent.Create(new { parameters = new List<string> { "1", "1" } })))
        {
            Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Contains("GRANT pg_read_all_data TO portal_monitor", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var healthJson = JsonDocument.Parse(await api.GetStringAsync(new Uri("/api/v1/queries/health?target=shop", UriKind.Relative))))
        {
            Assert.Contains(healthJson.RootElement.GetProperty("largest").EnumerateArray(), relation => relation.GetProperty("name").GetString()!.EndsWith("pgbench_accounts", StringComparison.Ordinal));
        }
        using (var activityJson = JsonDocument.Parse(await api.GetStringAsync(new Uri("/api/v1/queries/activity?target=shop", UriKind.Relative))))
        {
            Assert.True(activityJson.RootElement.GetProperty("maxConnections").GetInt32() > 0);
        }
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await api.GetAsync(new Uri("/api/v1/queries/health?target=nowhere", UriKind.Relative))).StatusCode);

        // Live activity sees the application's session and its query, and cancels it (pg_signal_backend).
        await using var session = new NpgsqlConnection(others.Cluster.App);
        await session.OpenAsync();
        await using var sleeping = new NpgsqlCommand("SELECT pg_sleep(60) /* a stuck report */", session);
        var running = sleeping.ExecuteNonQueryAsync();
        Session? stuck = null;
        await Eventually.HoldsAsync(async () =>
        {
            stuck = (await Service<LiveActivity>().ReadAsync("shop")).LongRunning.FirstOrDefault(each => each.Query?.Contains("a stuck report", StringComparison.Ordinal) == true);
            return stuck is not null;
        }, TimeSpan.FromSeconds(30), "the stuck query is listed as long-running");
        Assert.Equal(("shop", "app"), (stuck!.User, stuck.Database));
        var admin = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin"), new Claim(ClaimTypes.Role, PortalRoles.Admin)], "test"));
        Assert.Equal(CancelOutcome.Cancelled, await Service<LiveActivity>().CancelAsync(admin, "shop", stuck.Pid, stuck.Query));
        var cancelled = await Assert.ThrowsAsync<PostgresException>(() => running);
        Assert.Equal(PostgresErrorCodes.QueryCanceled, cancelled.SqlState);
    }
}
