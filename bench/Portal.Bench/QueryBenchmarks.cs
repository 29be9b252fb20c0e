using System.Diagnostics;
using Dapper;
using Npgsql;
using Portal.Features.Cache;
using Portal.Features.Queries;

namespace Portal.Bench;

/// <summary>
/// Query statistics at scale: 5,000 distinct statements on the target and 24 h of 5-minute snapshots. The snapshot's
/// duration and the top list's p95 (cache flushed before each read) as ratios to a plain
/// <c>SELECT * FROM pg_stat_statements</c> on the same target, and the storage a day of snapshots takes.
/// </summary>
public static class QueryBenchmarks
{
    private const int Tables = 50;
    private const int Columns = 10;
    private const int SnapshotsPerDay = 288;

    public static async Task RunAsync(IServiceProvider services, int iterations)
    {
        var portal = services.GetRequiredService<NpgsqlDataSource>();
        var targets = services.GetRequiredService<QueryTargets>();
        var snapshots = services.GetRequiredService<QuerySnapshots>();
        var statistics = services.GetRequiredService<QueryStatistics>();
        var cache = services.GetRequiredService<PortalCache>();
        const string target = QueryOptions.PortalTarget;

        await CreateTablesAsync(portal);
        await RunWorkloadAsync(portal, everyNth: 1);
        await snapshots.TakeAsync(target); // the baseline: every statement known
        var statements = await CountAsync(portal, "SELECT count(*) FROM query_statements WHERE target = 'portal'");
        await BackfillDayAsync(portal);

        async Task PlainRead()
        {
            await using var connection = await targets.OpenAsync(target);
            _ = (await connection.QueryAsync("SELECT * FROM pg_stat_statements")).AsList();
        }
        var baseline = await MeasureAsync(iterations, PlainRead);

        // Snapshots after a tenth of the statements ran again (what moves in a busy 5 minutes).
        var snapshotTimes = new List<double>();
        for (var round = 0; round < Math.Min(iterations, 10); round++)
        {
            await RunWorkloadAsync(portal, everyNth: 10, offset: round);
            var snapshot = await snapshots.TakeAsync(target);
            snapshotTimes.Add(snapshot.DurationMs);
        }
        snapshotTimes.Sort();

        // The same after months of churn: 100,000 statements the portal once saw that pg_stat_statements no longer holds
        // (evicted, reset, one-off texts), as a long-running installation's query_statements accumulates them.
        await AddGoneStatementsAsync(portal, GoneStatements);
        var churnedTimes = new List<double>();
        for (var round = 0; round < Math.Min(iterations, 10); round++)
        {
            await RunWorkloadAsync(portal, everyNth: 10, offset: round);
            churnedTimes.Add((await snapshots.TakeAsync(target)).DurationMs);
        }
        churnedTimes.Sort();

        var sorts = Enum.GetValues<QuerySort>();
        var index = 0;
        var top = await MeasureAsync(iterations, async () =>
        {
            var (from, to) = await statistics.ResolveAsync(target, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow);
            _ = await statistics.TopAsync(new TopQueriesRequest(target, from, to, sorts[index++ % sorts.Length]));
        }, before: () => cache.FlushAsync(CacheOptions.QueryStatistics));

        var rows = await CountAsync(portal, "SELECT count(*) FROM query_totals");
        var bytes = await CountAsync(portal, "SELECT pg_total_relation_size('query_totals') + pg_total_relation_size('query_statements') + pg_total_relation_size('query_snapshots')");
        Console.WriteLine($"{"snapshot of pg_stat_statements",-44} {snapshotTimes[snapshotTimes.Count / 2] / baseline.P50,8:F2}x SELECT * FROM pg_stat_statements   " +
            $"(median {snapshotTimes[snapshotTimes.Count / 2]:F1} ms, max {snapshotTimes[^1]:F1} ms vs {baseline.P50:F1} ms; {statements:N0} statements)");
        Console.WriteLine($"{"snapshot, 100,000 statements gone since",-44} {churnedTimes[churnedTimes.Count / 2] / baseline.P50,8:F2}x SELECT * FROM pg_stat_statements   " +
            $"(median {churnedTimes[churnedTimes.Count / 2]:F1} ms, max {churnedTimes[^1]:F1} ms vs {baseline.P50:F1} ms)");
        Console.WriteLine($"{"top queries, 24 h window, cache cold",-44} {top.P95 / baseline.P50,8:F2}x SELECT * FROM pg_stat_statements   " +
            $"(p95 {top.P95:F1} ms, p50 {top.P50:F1} ms vs {baseline.P50:F1} ms)");
        Console.WriteLine($"{"storage of a day of snapshots",-44} {bytes / 1_048_576.0,8:F1} MiB   ({rows:N0} rows of running totals, {bytes / (double)Math.Max(rows, 1):F0} bytes a row with indexes)");
    }

    // 50 tables of 10 columns: "SELECT cA FROM tK WHERE cB = $1" is 5,000 distinct statements.
    private static async Task CreateTablesAsync(NpgsqlDataSource portal)
    {
        await using var connection = await portal.OpenConnectionAsync();
        var columns = string.Join(", ", Enumerable.Range(0, Columns).Select(column => $"c{column} int"));
        for (var table = 0; table < Tables; table++)
        {
            await connection.ExecuteAsync($"DROP TABLE IF EXISTS bench_t{table}; CREATE TABLE bench_t{table} ({columns})");
        }
    }

    private static async Task RunWorkloadAsync(NpgsqlDataSource portal, int everyNth, int offset = 0)
    {
        await using var connection = await portal.OpenConnectionAsync();
        var statement = 0;
        for (var table = 0; table < Tables; table++)
        for (var selected = 0; selected < Columns; selected++)
        for (var filtered = 0; filtered < Columns; filtered++)
        {
            if (statement++ % everyNth == offset % everyNth)
            {
                await connection.ExecuteAsync($"SELECT c{selected} FROM bench_t{table} WHERE c{filtered} = @value", new { value = statement });
            }
        }
    }

    // The 24 h before the baseline: a snapshot every 5 minutes, each moving 30 % of the statements, as running totals.
    private static async Task BackfillDayAsync(NpgsqlDataSource portal)
    {
        await using var connection = await portal.OpenConnectionAsync();
        await connection.ExecuteAsync($"""
            INSERT INTO query_snapshots (target, taken_at, statements, moved, reset_detected, baseline, duration_ms)
            SELECT 'portal', now() - interval '1 day' - interval '5 minutes' * ({SnapshotsPerDay} - s), 5000, 1500, false, false, 0
            FROM generate_series(1, {SnapshotsPerDay}) s;

            INSERT INTO query_totals (statement_id, taken_at, calls, total_time_ms, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied,
                                      shared_blks_written, temp_blks_read, temp_blks_written, blk_read_time_ms, blk_write_time_ms, wal_bytes,
                                      min_time_ms, max_time_ms, stddev_time_ms)
            SELECT id, now() - interval '1 day' - interval '5 minutes' * ({SnapshotsPerDay} - s), moves * 10, moves * 10 * (1 + id % 50), moves * 10,
                   moves * 100, moves * (id % 7), 0, 0, moves * (id % 3), 0, 0, 0, 0, 0.5, 1 + id % 50, 1
            FROM (
                SELECT s.id, g.s, row_number() OVER (PARTITION BY s.id ORDER BY g.s) AS moves
                FROM query_statements s CROSS JOIN generate_series(1, {SnapshotsPerDay}) g(s)
                WHERE s.target = 'portal' AND (s.id + g.s) % 10 < 3
            ) moved;

            -- The statements' own bookkeeping follows the history, so the next real snapshot adds to it.
            UPDATE query_statements s SET running = ARRAY[t.calls, t.total_time_ms, t.rows, t.shared_blks_hit, t.shared_blks_read, 0, 0, t.temp_blks_read, 0, 0, 0, 0],
                                          first_seen = now() - interval '2 days', last_moved = t.taken_at
            FROM (SELECT DISTINCT ON (statement_id) * FROM query_totals ORDER BY statement_id, taken_at DESC) t
            WHERE t.statement_id = s.id;
            UPDATE query_snapshots SET taken_at = now() - interval '2 days' WHERE target = 'portal' AND baseline;
            ANALYZE query_totals; ANALYZE query_statements; ANALYZE query_snapshots;
            """, commandTimeout: 600);
    }

    private const int GoneStatements = 100_000;

    private static async Task AddGoneStatementsAsync(NpgsqlDataSource portal, int count)
    {
        await using var connection = await portal.OpenConnectionAsync();
        await connection.ExecuteAsync($"""
            INSERT INTO query_statements (target, query_id, user_id, db_id, toplevel, user_name, database_name, query, first_seen, last_moved, seen, running)
            SELECT 'portal', -g, 10, 1, true, 'gone', 'gone', 'SELECT gone_' || g, now() - interval '60 days', now() - interval '59 days',
                   array_fill(1::float8, ARRAY[{QueryCounters.Names.Count}]), array_fill(1::float8, ARRAY[{QueryCounters.Names.Count}])
            FROM generate_series(1, @count) g
            ON CONFLICT DO NOTHING;
            ANALYZE query_statements;
            """, new { count }, commandTimeout: 600);
    }

    private static async Task<long> CountAsync(NpgsqlDataSource portal, string sql)
    {
        await using var connection = await portal.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    private static async Task<(double P50, double P95)> MeasureAsync(int iterations, Func<Task> action, Func<Task>? before = null)
    {
        var samples = new List<double>(iterations);
        for (var i = 0; i <= iterations; i++)
        {
            if (before is not null)
            {
                await before();
            }
            var started = Stopwatch.GetTimestamp();
            await action();
            if (i > 0) // the first is a warm-up
            {
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        samples.Sort();
        return (samples[samples.Count / 2], samples[(int)Math.Ceiling(samples.Count * 0.95) - 1]);
    }
}
