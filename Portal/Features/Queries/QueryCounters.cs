namespace Portal.Features.Queries;

/// <summary>
/// The cumulative counters of pg_stat_statements the portal differences, in one fixed order: the order of the
/// <c>seen</c> and <c>running</c> arrays of <c>query_statements</c>, named as the columns of <c>query_totals</c>.
/// </summary>
public static class QueryCounters
{
    public static readonly IReadOnlyList<string> Names =
    [
        "calls", "total_time_ms", "rows", "shared_blks_hit", "shared_blks_read", "shared_blks_dirtied", "shared_blks_written",
        "temp_blks_read", "temp_blks_written", "blk_read_time_ms", "blk_write_time_ms", "wal_bytes",
    ];

    public const int Calls = 0;

    /// <summary>The same counters as pg_stat_statements columns of a server (PostgreSQL 17 split the block times).</summary>
    public static IReadOnlyList<string> OnTarget(int versionNumber) =>
    [
        "calls", "total_exec_time", "rows", "shared_blks_hit", "shared_blks_read", "shared_blks_dirtied", "shared_blks_written",
        "temp_blks_read", "temp_blks_written",
        versionNumber >= 170000 ? "shared_blk_read_time + local_blk_read_time" : "blk_read_time",
        versionNumber >= 170000 ? "shared_blk_write_time + local_blk_write_time" : "blk_write_time",
        "wal_bytes",
    ];

    public static double[] Zero() => new double[Names.Count];

    public static double[] Add(double[] left, double[] right) => left.Zip(right, (a, b) => a + b).ToArray();

    public static double[] Subtract(double[] left, double[] right) => left.Zip(right, (a, b) => a - b).ToArray();
}
