using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>
/// A reset of all of pg_stat_statements (the only kind that moves <c>stats_reset</c>) between snapshots. It empties
/// the statistics of every database on the cluster, so it runs alone: the other tests read their statements' calls.
/// </summary>
[Collection(Serial.Name)]
public sealed class QueryStatsResetTests : QueryWorkloadTest
{
    [Fact]
    public async Task StatsReset_BetweenSnapshots_NoNegativeDeltasAndANewBaseline()
    {
        await SnapshotAsync();
        await RunAsync("SELECT id FROM lookups WHERE id = @id", 5, i => new { id = i });
        await SnapshotAsync();
        await RunAsync("SELECT pg_stat_statements_reset()", 1);
        await RunAsync("SELECT id FROM lookups WHERE id = @id", 3, i => new { id = i });

        var afterReset = await SnapshotAsync();

        Assert.True(afterReset.ResetDetected);
        var rows = await TopAsync("calls");
        Assert.All(rows, row => Assert.True(row.GetProperty("calls").GetInt64() > 0 && row.GetProperty("totalTimeMs").GetDouble() >= 0, row.ToString()));
        Assert.Equal(8, RowOf(rows, "FROM lookups WHERE id").GetProperty("calls").GetInt64()); // 5 before, 3 after the reset
    }
}
