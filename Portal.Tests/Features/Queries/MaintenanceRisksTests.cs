using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Alerts;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>
/// The risks that take a database down, on a fixture whose answers are known (sequences set near their end) and against
/// the catalogue's own figures read here; through the owner's role and through a role with pg_monitor only.
/// </summary>
public sealed class MaintenanceRisksTests(MaintenanceRisksTests.Seeded fixture) : IClassFixture<MaintenanceRisksTests.Seeded>
{
    /// <summary>The fixture's sequences and monitoring role, read by every test (one that grants takes its grant back).</summary>
    public sealed class Seeded : PortalOnMonitoredDatabase
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            // Any age is a warning here: a fresh test cluster is billions of transactions from wrapping around.
            settings["Queries:Risks:WraparoundWarning"] = "0.000000001";
            settings["Queries:Risks:WraparoundCritical"] = "0.99";
            base.Configure(settings);
        }

        protected override async Task SeedAsync(NpgsqlConnection connection)
        {
            await base.SeedAsync(connection);
            await connection.ExecuteAsync("""
                CREATE SCHEMA shop;
                CREATE SEQUENCE shop.tiny AS smallint;
                SELECT setval('shop.tiny', 30000);
                CREATE SEQUENCE shop.half AS smallint;
                SELECT setval('shop.half', 26000);
                CREATE SEQUENCE shop.down AS integer INCREMENT BY -1;
                SELECT setval('shop.down', -100000000);
                CREATE SEQUENCE shop.unused;
                """);
        }
    }

    private PortalApp App => fixture.App;

    private TestDatabase Database => fixture.Database;

    private string MonitorRole => fixture.MonitorRole;

    private MaintenanceRisks Risks => App.Services.GetRequiredService<MaintenanceRisks>();

    [Fact]
    public async Task Report_SequencesAgesAndConnections_AgreeWithTheCatalogue_JudgedByTheirShare_WorstFirst()
    {
        await using var held = new NpgsqlConnection(Database.ConnectionString);
        await held.OpenAsync(); // one client connection the report must count, at least

        var report = await Risks.ReadAsync(QueryOptions.PortalTarget);

        var sequences = report.Risks.Where(risk => risk.Kind == RiskKinds.Sequence).ToDictionary(risk => risk.Subject);
        Assert.Equal((29_999, 32_766, RiskStatuses.Critical), Figures(sequences["sequence shop.tiny (smallint)"])); // 91.6 %
        Assert.Equal((25_999, 32_766, RiskStatuses.Warning), Figures(sequences["sequence shop.half (smallint)"])); // 79.3 %
        Assert.Equal((99_999_999, 2_147_483_647, RiskStatuses.Ok), Figures(sequences["sequence shop.down (integer)"])); // descending: -1 down to -2³¹
        Assert.Equal((0, long.MaxValue - 1.0, RiskStatuses.Ok), Figures(sequences["sequence shop.unused (bigint)"]));
        Assert.Empty(report.UnreadableSequences);
        Assert.Null(report.Grant);

        // Ages move with every transaction (and back when a vacuum freezes): the catalogue read here is close, not equal.
        // The tests beside this one create and drop databases: those in both reads are compared, this test's among them.
        var ages = (await held.QueryAsync<(string Name, long Xid, long Multixact)>(
            "SELECT datname, age(datfrozenxid)::bigint, mxid_age(datminmxid)::bigint FROM pg_database WHERE datallowconn")).ToList();
        var reported = report.Risks.Where(risk => risk.Kind == RiskKinds.Xid).Select(risk => risk.Subject).ToHashSet();
        var both = ages.Where(database => reported.Contains($"database {database.Name}")).ToList();
        Assert.Contains(both, database => database.Name == Database.Name);
        Assert.Contains(both, database => database.Name == "postgres");
        foreach (var (name, xid, multixact) in both)
        {
            var risk = report.Risks.Single(risk => risk.Kind == RiskKinds.Xid && risk.Subject == $"database {name}");
            Assert.InRange(risk.Used - xid, -10_000, 10_000);
            Assert.True(risk.Used > 0);
            Assert.Equal(MaintenanceRisks.WraparoundLimit, risk.Limit);
            Assert.Equal(RiskStatuses.Warning, risk.Status);
            Assert.InRange(report.Risks.Single(risk => risk.Kind == RiskKinds.Multixact && risk.Subject == $"database {name}").Used - multixact, -10_000, 10_000);
        }
        var tables = report.Risks.Where(risk => risk.Kind == RiskKinds.Xid && risk.Subject.StartsWith("table ", StringComparison.Ordinal)).ToList();
        Assert.Equal(MaintenanceRisks.OldestTables, tables.Count);
        Assert.True(tables.Max(table => table.Used) <= report.Risks.Single(risk => risk.Subject == $"database {Database.Name}" && risk.Kind == RiskKinds.Xid).Used,
            "a database is as old as its oldest table");

        var connections = report.Risks.Single(risk => risk.Kind == RiskKinds.Connections);
        var (maxConnections, reserved) = await held.QuerySingleAsync<(long, long)>(
            "SELECT current_setting('max_connections')::bigint, current_setting('superuser_reserved_connections')::bigint");
        Assert.Equal(maxConnections - reserved, connections.Limit);
        Assert.InRange(connections.Used, 2, maxConnections); // the portal's and the one held here

        // Critical first, then warnings, each by its share.
        var order = report.Risks.Select(risk => risk.Status switch { RiskStatuses.Critical => 2, RiskStatuses.Warning => 1, _ => 0 }).ToList();
        Assert.Equal(order.OrderByDescending(status => status), order);
        Assert.Equal(RiskStatuses.Critical, report.Status);
    }

    [Fact]
    public async Task MonitoringRole_SeesAgesAndConnections_AndNamesTheGrantEachSequenceNeeds()
    {
        var report = await Risks.ReadAsync("monitored");

        Assert.Contains(report.Risks, risk => risk.Kind == RiskKinds.Xid && risk.Subject == $"database {Database.Name}" && risk.Used > 0);
        Assert.Contains(report.Risks, risk => risk.Kind == RiskKinds.Connections && risk.Used >= 1);
        Assert.DoesNotContain(report.Risks, risk => risk.Kind == RiskKinds.Sequence);
        Assert.Contains("shop.tiny", report.UnreadableSequences);
        await using var owner = new NpgsqlConnection(Database.ConnectionString);
        var sequences = await owner.QuerySingleAsync<int>("SELECT count(*)::int FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog', 'information_schema')");
        var schemas = await owner.QuerySingleAsync<string>(
            "SELECT string_agg(DISTINCT schemaname, ', ' ORDER BY schemaname) FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog', 'information_schema')");
        Assert.Equal($"GRANT SELECT ON ALL SEQUENCES IN SCHEMA {schemas} TO {MonitorRole};", report.Grant);
        Assert.Equal(sequences, report.UnreadableSequences.Count); // the portal's own tables' too

        await owner.ExecuteAsync($"GRANT USAGE ON SCHEMA shop TO {MonitorRole}; GRANT SELECT ON SEQUENCE shop.tiny TO {MonitorRole}");
        try
        {
            var granted = await Risks.ReadAsync("monitored");
            Assert.Equal(RiskStatuses.Critical, granted.Risks.Single(risk => risk.Subject == "sequence shop.tiny (smallint)").Status);
            Assert.Equal(sequences - 1, granted.UnreadableSequences.Count);
        }
        finally
        {
            // The other tests read through the role without it.
            await owner.ExecuteAsync($"REVOKE SELECT ON SEQUENCE shop.tiny FROM {MonitorRole}; REVOKE USAGE ON SCHEMA shop FROM {MonitorRole}");
        }
    }

    [Fact]
    public async Task WeeklyReport_NamesEveryRiskAtAWarningOrAbove_AsAFinding()
    {
        var now = DateTimeOffset.UtcNow;
        var report = await App.Services.GetRequiredService<Portal.Features.Reports.BaselineReportBuilder>().BuildAsync(
            new Portal.Features.Reports.ReportScope([], [], [QueryOptions.PortalTarget]), new Portal.Features.Reports.ReportPeriod(Portal.Features.Reports.ReportSchedules.Weekly, now.AddDays(-7), now, "UTC"));

        var risks = report.Findings.Where(finding => finding.Kind == "risk").ToList();
        var tiny = Assert.Single(risks, finding => finding.Title == $"Sequence running out: sequence shop.tiny (smallint) on {QueryOptions.PortalTarget} (critical)");
        Assert.StartsWith("91.56 % of its limit used (29,999 of 32,766). ALTER SEQUENCE shop.tiny AS bigint;", tiny.Detail, StringComparison.Ordinal);
        Assert.Equal("/queries/health?target=portal", tiny.Link);
        Assert.Contains(risks, finding => finding.Title == $"Sequence running out: sequence shop.half (smallint) on {QueryOptions.PortalTarget} (warning)");
        Assert.DoesNotContain(risks, finding => finding.Title.Contains("shop.unused", StringComparison.Ordinal) || finding.Title.Contains("shop.down", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Api_AnswersThePagesRisks_UnknownTarget404()
    {
        using var api = App.CreateHttpClient();
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await App.TokenAsync(Portal.Features.Auth.PortalRoles.Developer));

        using var answer = System.Text.Json.JsonDocument.Parse(await api.GetStringAsync(new Uri("/api/v1/queries/risks?target=portal", UriKind.Relative)));
        var tiny = answer.RootElement.GetProperty("risks").EnumerateArray().Single(risk => risk.GetProperty("subject").GetString() == "sequence shop.tiny (smallint)");
        Assert.Equal((29_999, 32_766, "critical"), (tiny.GetProperty("used").GetDouble(), tiny.GetProperty("limit").GetDouble(), tiny.GetProperty("status").GetString()));
        Assert.Equal("critical", answer.RootElement.GetProperty("status").GetString());
        using var unknown = await api.GetAsync(new Uri("/api/v1/queries/risks?target=nowhere", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task RiskAlertSource_ObservesEachSubjectAtTheRulesShare_LabelledByIt()
    {
        var (rules, errors) = new AlertRulesReader("alerts.yaml", null, [SlackDestinations.Default]).Read("""
            rules:
              - { name: SequenceRunningOut, source: risk, target: portal, risk: sequence, above: 85%, labels: { team: db } }
              - { name: AnyRisk, source: risk, target: monitored, above: 99% }
              - { name: Misspelt, source: risk, risk: sequences, above: 1 }
            """);
        Assert.Null(rules);
        Assert.Contains(errors, error => error.Message.Contains("risk", StringComparison.Ordinal) && error.Message.Contains("sequences", StringComparison.Ordinal));
        (rules, errors) = new AlertRulesReader("alerts.yaml", null, [SlackDestinations.Default]).Read("""
            rules:
              - { name: SequenceRunningOut, source: risk, target: portal, risk: sequence, above: 85%, labels: { team: db } }
              - { name: AnyRisk, source: risk, target: monitored, above: 99% }
            """);
        Assert.Empty(errors);
        var evaluator = App.Services.GetRequiredService<AlertEvaluator>();

        var sequences = await evaluator.ObserveAsync(rules!.Rules[0], DateTimeOffset.UtcNow);
        // shop.tiny (91.6 %, past the rule's share) and shop.half (79.3 %, a warning by the Queries feature's 75 %).
        Assert.Equal(["sequence shop.half (smallint)", "sequence shop.tiny (smallint)"], sequences.Select(observation => observation.Labels["subject"]).Order(StringComparer.Ordinal));
        var tiny = sequences.Single(observation => observation.Labels["subject"] == "sequence shop.tiny (smallint)");
        Assert.Equal(29_999 / 32_766.0, tiny.Value!.Value, 12);
        Assert.Equal(("portal", "sequence", "db"), (tiny.Labels["target"], tiny.Labels["risk"], tiny.Labels["team"]));

        // Through the monitoring role: the ages (warnings here) and nothing of the sequences it may not read.
        var any = await evaluator.ObserveAsync(rules.Rules[1], DateTimeOffset.UtcNow);
        Assert.Contains(any, observation => observation.Labels["risk"] == RiskKinds.Xid && observation.Labels["subject"] == $"database {Database.Name}");
        Assert.DoesNotContain(any, observation => observation.Labels["risk"] == RiskKinds.Sequence);
    }

    private static (double Used, double Limit, string Status) Figures(MaintenanceRisk risk) => (risk.Used, risk.Limit, risk.Status);
}
