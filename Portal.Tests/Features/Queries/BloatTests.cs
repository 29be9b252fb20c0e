using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Queries;
using Portal.Features.Reports;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>
/// A table bloated on purpose (four rows in five deleted, then vacuumed: the pages stay), a tidy one, and their primary
/// keys: the portal's bloat, estimated from the statistics through the owner's role and measured with pgstattuple
/// through a pg_monitor role, against pgstattuple's exact figures read here.
/// </summary>
public sealed class BloatTests(BloatTests.Fixture fixture) : IClassFixture<BloatTests.Fixture>
{
    public sealed class Fixture : PortalOnMonitoredDatabase
    {
        public string AdminConnectionString => new NpgsqlConnectionStringBuilder(TestServices.PostgresAdmin) { Database = Database.Name }.ConnectionString;

        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["Queries:Risks:BloatMinimumMegabytes"] = "1";
            settings["Queries:Risks:VacuumMinimumDeadRows"] = "1000";
            base.Configure(settings);
        }

        protected override async Task SeedAsync(NpgsqlConnection connection)
        {
            await base.SeedAsync(connection);
            await connection.ExecuteAsync("""
                CREATE SCHEMA shop;
                CREATE TABLE shop.orders (id integer PRIMARY KEY, customer integer NOT NULL, note text NOT NULL) WITH (autovacuum_enabled = false);
                INSERT INTO shop.orders SELECT g, g % 1000, md5(g::text) FROM generate_series(1, 200000) g;
                DELETE FROM shop.orders WHERE id % 5 <> 0;
                CREATE TABLE shop.tidy (id integer PRIMARY KEY, customer integer NOT NULL, note text NOT NULL) WITH (autovacuum_enabled = false);
                INSERT INTO shop.tidy SELECT g, g % 1000, md5(g::text) FROM generate_series(1, 100000) g;
                """);
            // Outside a transaction: VACUUM cannot run in one.
            await connection.ExecuteAsync("VACUUM ANALYZE shop.orders");
            await connection.ExecuteAsync("VACUUM ANALYZE shop.tidy");
            await using var admin = new NpgsqlConnection(AdminConnectionString);
            await admin.ExecuteAsync("CREATE EXTENSION pgstattuple");
        }
    }

    private MaintenanceRisks Risks => fixture.App.Services.GetRequiredService<MaintenanceRisks>();

    /// <summary>pgstattuple's exact figures: a table's free space and dead rows, an index's leaf pages below 90 % density.</summary>
    private async Task<(double Table, double Index)> MeasuredShareAsync(string table)
    {
        await using var admin = new NpgsqlConnection(fixture.AdminConnectionString);
        var heap = await admin.QuerySingleAsync<(double Free, double Dead)>(
            "SELECT free_percent, dead_tuple_percent FROM pgstattuple(@table::regclass)", new { table });
        var density = await admin.QuerySingleAsync<double>("SELECT avg_leaf_density FROM pgstatindex(@index::regclass)", new { index = table + "_pkey" });
        return ((heap.Free + heap.Dead) / 100, 1 - density / 90);
    }

    [Fact]
    public async Task Estimate_AgreesWithPgstattuple_OnTheBloatedAndTheTidyTable_AndJudgesThem()
    {
        var report = await Risks.ReadAsync(QueryOptions.PortalTarget);
        var bloat = report.Risks.Where(risk => risk.Kind == RiskKinds.Bloat).ToDictionary(risk => risk.Subject);

        var orders = bloat["table shop.orders (estimate)"];
        var ordersKey = bloat["index shop.orders_pkey on shop.orders (estimate)"];
        var (ordersMeasured, ordersKeyMeasured) = await MeasuredShareAsync("shop.orders");
        Assert.InRange(ordersMeasured, 0.75, 0.85); // four rows in five gone
        Assert.InRange(orders.Share - ordersMeasured, -0.05, 0.05);
        Assert.InRange(ordersKey.Share - ordersKeyMeasured, -0.05, 0.05);
        Assert.Equal(RiskStatuses.Critical, orders.Status);
        Assert.Equal(RiskStatuses.Critical, ordersKey.Status);
        await using var owner = new NpgsqlConnection(fixture.Database.ConnectionString);
        Assert.Equal(await owner.QuerySingleAsync<double>("SELECT pg_relation_size('shop.orders')"), orders.Limit);
        Assert.Equal(await owner.QuerySingleAsync<double>("SELECT pg_relation_size('shop.orders_pkey')"), ordersKey.Limit);

        var tidy = bloat["table shop.tidy (estimate)"];
        var tidyKey = bloat["index shop.tidy_pkey on shop.tidy (estimate)"];
        var (tidyMeasured, tidyKeyMeasured) = await MeasuredShareAsync("shop.tidy");
        Assert.InRange(tidy.Share - tidyMeasured, -0.05, 0.05);
        Assert.InRange(tidyKey.Share - tidyKeyMeasured, -0.05, 0.05);
        Assert.Equal((RiskStatuses.Ok, RiskStatuses.Ok), (tidy.Status, tidyKey.Status));
        Assert.Empty(report.UnmeasuredBloat);

        Assert.Equal($"{MaintenanceRisks.Describe(orders)}", $"{Mib(orders.Used)} MiB of {Mib(orders.Limit)} MiB wasted");
        Assert.StartsWith("rewrite it: pg_repack -t shop.orders", orders.Advice, StringComparison.Ordinal);
        Assert.Equal("REINDEX INDEX CONCURRENTLY shop.orders_pkey;", ordersKey.Advice);
    }

    [Fact]
    public async Task MonitoringRole_MeasuresWithPgstattuple_OrNamesWhatItCannotMeasure()
    {
        // pg_monitor reads no table's statistics; without pgstattuple's functions the relations are named, not guessed.
        await using (var admin = new NpgsqlConnection(fixture.AdminConnectionString))
        {
            await admin.ExecuteAsync("REVOKE EXECUTE ON FUNCTION pgstattuple_approx(regclass) FROM pg_stat_scan_tables");
        }
        var unmeasured = await Risks.ReadAsync("monitored");
        Assert.DoesNotContain(unmeasured.Risks, risk => risk.Kind == RiskKinds.Bloat);
        Assert.Equal(["shop.orders", "shop.orders_pkey", "shop.tidy", "shop.tidy_pkey"], unmeasured.UnmeasuredBloat.Order(StringComparer.Ordinal));

        await using (var admin = new NpgsqlConnection(fixture.AdminConnectionString))
        {
            await admin.ExecuteAsync("GRANT EXECUTE ON FUNCTION pgstattuple_approx(regclass) TO pg_stat_scan_tables");
        }
        var measured = await Risks.ReadAsync("monitored");
        Assert.Empty(measured.UnmeasuredBloat);
        var bloat = measured.Risks.Where(risk => risk.Kind == RiskKinds.Bloat).ToDictionary(risk => risk.Subject);
        var (ordersMeasured, ordersKeyMeasured) = await MeasuredShareAsync("shop.orders");
        Assert.InRange(bloat["table shop.orders (pgstattuple)"].Share - ordersMeasured, -0.02, 0.02); // approx: the exact figure where no page is all-visible
        Assert.Equal(ordersKeyMeasured, bloat["index shop.orders_pkey on shop.orders (pgstattuple)"].Share, 9);
        Assert.Equal(RiskStatuses.Critical, bloat["table shop.orders (pgstattuple)"].Status);
        Assert.Equal(RiskStatuses.Ok, bloat["table shop.tidy (pgstattuple)"].Status);
    }

    [Fact]
    public async Task WeeklyReport_NamesTheBloatedTableAsAFinding()
    {
        var now = DateTimeOffset.UtcNow;
        var report = await fixture.App.Services.GetRequiredService<BaselineReportBuilder>().BuildAsync(
            new ReportScope([], [], [QueryOptions.PortalTarget]), new ReportPeriod(ReportSchedules.Weekly, now.AddDays(-7), now, "UTC"));

        var finding = Assert.Single(report.Findings, finding => finding.Title == $"Bloat: table shop.orders (estimate) on {QueryOptions.PortalTarget} (critical)");
        Assert.Contains("MiB wasted). rewrite it: pg_repack -t shop.orders", finding.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(report.Findings, finding => finding.Title.Contains("shop.tidy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DeadRowsAwaitingVacuum_JudgedByTheirShare_WithWhenVacuumLastCameBy()
    {
        await using (var owner = new NpgsqlConnection(fixture.Database.ConnectionString))
        {
            await owner.ExecuteAsync("""
                CREATE TABLE shop.churn (id integer PRIMARY KEY) WITH (autovacuum_enabled = false);
                INSERT INTO shop.churn SELECT generate_series(1, 20000);
                """);
            await owner.ExecuteAsync("DELETE FROM shop.churn");
        }
        // The statistics reach pg_stat_user_tables as each transaction's are flushed (within a second or so, not always in
        // order): the risk is compared with the server's counts read just before and just after it, when both agree.
        await using var stats = new NpgsqlConnection(fixture.Database.ConnectionString);
        const string counts = "SELECT n_dead_tup, n_live_tup + n_dead_tup FROM pg_stat_user_tables WHERE relname = 'churn'";
        MaintenanceRisk? churn = null;
        (double Dead, double Rows) settled = default;
        await Eventually.HoldsAsync(async () =>
        {
            var before = await stats.QuerySingleAsync<(double, double)>(counts);
            churn = (await Risks.ReadAsync(QueryOptions.PortalTarget)).Risks.SingleOrDefault(risk => risk.Kind == RiskKinds.Vacuum && risk.Subject == "table shop.churn");
            settled = await stats.QuerySingleAsync<(double, double)>(counts);
            return churn is not null && before == settled && settled.Dead == 20_000;
        }, TimeSpan.FromSeconds(20), "the dead rows counted, and the counts settled");

        // Every row deleted: half or more of all rows dead, whatever the live count has caught up with.
        var (dead, rows) = settled;
        Assert.Equal((dead, rows, RiskStatuses.Critical), (churn!.Used, churn.Limit, churn.Status));
        Assert.Equal($"20,000 of {rows.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} rows dead", MaintenanceRisks.Describe(churn));
        Assert.StartsWith("VACUUM (VERBOSE, ANALYZE) shop.churn; last vacuumed never, analysed never.", churn.Advice, StringComparison.Ordinal);
    }

    private static string Mib(double bytes) => (bytes / (1 << 20)).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
}
