using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>
/// A statement served by an index, then the index dropped: the plan history records the new plan (a Seq Scan where
/// there was an Index Scan) and flags the change together with the statement's regression.
/// </summary>
public sealed class PlanHistoryTests : PortalOnFreshDatabase
{
    // The capture explains the target's ten statements with the most time in the last hour; the test cluster is shared,
    // and other classes' heavier statements can fill that top while this one's index scans are cheap, leaving the indexed
    // plan unrecorded (CI once found no change: the likely cause, not reproduced). The target's scope is this database,
    // as an operator scopes one, and the test checks the indexed plan was recorded before it goes on.
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Queries:Targets:portal:ConnectionString"] = Database.ConnectionString;
        settings["Queries:Targets:portal:Databases"] = Database.Name;
        settings["Queries:Targets:portal:ExcludeUsers"] = string.Join(",", StatementScope.DefaultExcludedUsers);
    }

    protected override async Task SeedAsync(NpgsqlConnection connection) => await connection.ExecuteAsync("""
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, total numeric NOT NULL, note text);
        INSERT INTO orders SELECT n, n % 50000, n * 1.5, repeat('x', 40) FROM generate_series(1, 200000) n;
        CREATE INDEX orders_customer ON orders (customer_id);
        ANALYZE orders;
        """);

    private async Task WorkloadAsync(int calls)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        for (var i = 0; i < calls; i++)
        {
            await connection.QueryAsync<long>("SELECT id FROM orders WHERE customer_id = @customer", new { customer = i % 50000 });
        }
    }

    [Fact]
    public async Task DroppedIndex_IndexScanBecomesSeqScan_ChangeFlaggedWithTheRegression()
    {
        var snapshots = App.Services.GetRequiredService<QuerySnapshots>();
        var plans = App.Services.GetRequiredService<PlanHistory>();
        var start = DateTimeOffset.UtcNow;
        await snapshots.TakeAsync(QueryOptions.PortalTarget);       // the baseline
        await WorkloadAsync(200);
        await snapshots.TakeAsync(QueryOptions.PortalTarget);       // the indexed interval
        var (explained, fresh, refused) = await plans.CaptureAsync(QueryOptions.PortalTarget);
        Assert.True(explained > 0 && fresh == explained, $"{explained} explained, {fresh} new");
        long ordersQuery;
        await using (var connection = new NpgsqlConnection(Database.ConnectionString))
        {
            ordersQuery = await connection.QuerySingleAsync<long>(
                "SELECT DISTINCT queryid FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) " +
                "AND query LIKE 'SELECT id FROM orders WHERE customer_id%'");
        }
        var indexed = await plans.PlansAsync(QueryOptions.PortalTarget, ordersQuery);
        Assert.True(indexed.Count == 1,
            $"the indexed plan of the orders statement is recorded ({explained} explained, refused: {string.Join("; ", refused)})");
        await plans.CaptureAsync(QueryOptions.PortalTarget);
        // The same plan: seen again, not new. (Only the orders statement's: the portal's own statements run in this
        // database too, and an autoanalyze of its tables between two captures may change one of their plans.)
        var seenAgain = Assert.Single(await plans.PlansAsync(QueryOptions.PortalTarget, ordersQuery));
        Assert.Equal(indexed[0].Fingerprint, seenAgain.Fingerprint);
        Assert.True(seenAgain.LastSeen > indexed[0].LastSeen, $"last seen {seenAgain.LastSeen:O}, first capture {indexed[0].LastSeen:O}");

        await using (var connection = new NpgsqlConnection(Database.ConnectionString))
        {
            await connection.ExecuteAsync("DROP INDEX orders_customer");
        }
        await WorkloadAsync(200);
        await snapshots.TakeAsync(QueryOptions.PortalTarget);       // the interval without the index
        var third = await plans.CaptureAsync(QueryOptions.PortalTarget);
        Assert.True(third.NewPlans > 0, $"{third.Explained} explained, {third.NewPlans} new, refused: {string.Join("; ", third.Refused)}");

        var change = Assert.Single(await plans.ChangesAsync(QueryOptions.PortalTarget, start, DateTimeOffset.UtcNow.AddMinutes(1)),
            each => each.Query?.Contains("FROM orders WHERE customer_id", StringComparison.Ordinal) == true);
        Assert.Equal("Index Scan on orders using orders_customer", change.Before.Shape.Trim());
        Assert.Equal("Seq Scan on orders", change.After.Shape.Trim());
        Assert.True(change.After.TotalCost > change.Before.TotalCost);
        Assert.True(change.Regressed, $"mean {change.MeanBeforeMs} ms → {change.MeanAfterMs} ms");
        Assert.True(change.MeanAfterMs > 1.5 * change.MeanBeforeMs);
        var (onlyBefore, onlyAfter) = PlanHistory.Difference(change.Before, change.After);
        Assert.Contains(onlyBefore, line => line.Contains("orders_customer", StringComparison.Ordinal));
        Assert.Equal(["Seq Scan on orders"], onlyAfter);
        Assert.Equal(2, (await plans.PlansAsync(QueryOptions.PortalTarget, change.QueryId)).Count);
        Assert.Equal((false, (string?)null), await plans.RecordAsync(QueryOptions.PortalTarget, change.QueryId)); // by hand: the same Seq Scan, seen again
        Assert.Equal((false, "the portal has not seen this statement on the target"), await plans.RecordAsync(QueryOptions.PortalTarget, 42));

        // The scorecards' "what changed" names it beside the statement.
        var objective = new Portal.Features.Scorecards.SlaObjective("orders-fast", "Orders are fast", "shop", "web", "P2", "7d",
            new Portal.Features.Scorecards.SliSpec { Kind = Portal.Features.Scorecards.SliKinds.Query, Target = QueryOptions.PortalTarget, Pattern = "FROM orders", Threshold = 1, Objective = 0.99 },
            new Portal.Features.Scorecards.SourceLocation("slas.yaml", 1, 1));
        var degradation = await App.Services.GetRequiredService<Portal.Features.Scorecards.WhatChanged>().ExplainAsync(objective, [objective], [], start, DateTimeOffset.UtcNow.AddMinutes(1));
        // (The portal's own PREPARE for the plan is a row of the same query id here: the test's target reads as the owner, not the monitoring role its scope leaves out.)
        var changed = Assert.Single(degradation.Statements, each => each.QueryId == change.QueryId && !each.Query.StartsWith("PREPARE", StringComparison.Ordinal));
        Assert.Equal(PlanHistory.Describe(change), changed.PlanChange);
        Assert.EndsWith("Seq Scan on orders (was Index Scan on orders using orders_customer)", changed.PlanChange, StringComparison.Ordinal);

        // The report of the day so far names it: a finding, and the statement's opportunity says its plan changed.
        var report = await App.Services.GetRequiredService<Portal.Features.Reports.BaselineReportBuilder>().BuildAsync(
            new Portal.Features.Reports.ReportScope([], [], [QueryOptions.PortalTarget]),
            Portal.Features.Reports.ReportPeriod.SoFar(Portal.Features.Reports.ReportSchedules.Daily, DateTimeOffset.UtcNow.AddMinutes(1), "UTC"));
        // (Under load, an autoanalyze of the portal's own tables here may change one of its plans too: a finding of its own.)
        var finding = Assert.Single(report.Findings, finding => finding.Kind == "plan" && finding.Title.Contains("FROM orders WHERE customer_id", StringComparison.Ordinal));
        Assert.Contains("Seq Scan on orders (was Index Scan on orders using orders_customer)", finding.Detail, StringComparison.Ordinal);
        Assert.Contains(report.Opportunities, opportunity => opportunity.NextStep.StartsWith("its plan changed on ", StringComparison.Ordinal)
            && opportunity.Title.Contains("FROM orders WHERE customer_id", StringComparison.Ordinal));
    }
}
