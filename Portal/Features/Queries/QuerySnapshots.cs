using System.Diagnostics;
using Dapper;
using Npgsql;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NpgsqlTypes;

namespace Portal.Features.Queries;

/// <summary>What one snapshot of a target did.</summary>
/// <param name="Evictions">How many times pg_stat_statements made room since the previous snapshot (0 for a baseline).</param>
public sealed record QuerySnapshot(string Target, DateTimeOffset TakenAt, int Statements, int Moved, bool ResetDetected, bool Baseline, double DurationMs,
    long Evictions = 0);

/// <summary>
/// Snapshots of pg_stat_statements. The target's statistics are never reset: each snapshot differences the target's
/// cumulative counters against what the previous one saw, and stores the running totals of the statements that moved.
/// A reset (pg_stat_statements_info.stats_reset changed, or a statement's counters went down because it was evicted
/// and re-added) never gives negative deltas: the counters since then all accrued after the previous snapshot, so they
/// are that interval's activity, and they become the new baseline.
/// </summary>
public sealed class QuerySnapshots(QueryTargets targets, NpgsqlDataSource portal, TimeProvider time, IOptions<QueryOptions> options, ILogger<QuerySnapshots> logger)
{
    private sealed class TargetRow
    {
        public long QueryId { get; init; }
        public long UserId { get; init; }
        public long DbId { get; init; }
        public bool Toplevel { get; init; }
        public string UserName { get; init; } = "";
        public string DatabaseName { get; init; } = "";
        public string Query { get; init; } = "";
        public double[] Counters { get; init; } = [];
        public double MinTimeMs { get; init; }
        public double MaxTimeMs { get; init; }
        public double StddevTimeMs { get; init; }

        public (long, long, long, bool) Key => (QueryId, UserId, DbId, Toplevel);
    }

    private sealed class KnownRow
    {
        public long QueryId { get; init; }
        public long UserId { get; init; }
        public long DbId { get; init; }
        public bool Toplevel { get; init; }
        public double[] Seen { get; init; } = [];
        public double[] Running { get; init; } = [];
    }

    private sealed class PreviousSnapshot
    {
        public DateTimeOffset? StatsReset { get; init; }
        public long? Dealloc { get; init; }
    }

    private sealed record Staged(TargetRow Row, double[] Running, bool Moved);

    public async Task<QuerySnapshot> TakeAsync(string target, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var (info, rows) = await ReadTargetAsync(target, cancellationToken);
        var statsReset = info.StatsReset;
        var takenAt = time.GetUtcNow();

        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var previous = await connection.QuerySingleOrDefaultAsync<PreviousSnapshot>(new CommandDefinition(
            "SELECT stats_reset AS \"StatsReset\", dealloc AS \"Dealloc\" FROM query_snapshots WHERE target = @target ORDER BY taken_at DESC LIMIT 1",
            new { target }, transaction, cancellationToken: cancellationToken));
        // Only the statements the target holds now: the portal keeps every statement it ever saw, and a long-running
        // installation's gone ones (evicted, reset, one-off texts) outnumber them many times (./portal bench activity).
        await StageKeysAsync(connection, rows, cancellationToken);
        var known = (await connection.QueryAsync<KnownRow>(new CommandDefinition("""
            SELECT s.query_id AS "QueryId", s.user_id AS "UserId", s.db_id AS "DbId", s.toplevel AS "Toplevel", s.seen AS "Seen", s.running AS "Running"
            FROM target_keys k
            JOIN query_statements s ON s.target = @target AND s.query_id = k.query_id AND s.user_id = k.user_id AND s.db_id = k.db_id AND s.toplevel = k.toplevel
            """, new { target }, transaction, cancellationToken: cancellationToken)))
            .ToDictionary(row => (row.QueryId, row.UserId, row.DbId, row.Toplevel));

        var baseline = previous is null;
        var resetDetected = previous is { StatsReset: { } before } && statsReset is { } now && now > before;
        var staged = new List<Staged>();
        foreach (var row in rows)
        {
            var was = known.GetValueOrDefault(row.Key);
            if (baseline)
            {
                staged.Add(new Staged(row, QueryCounters.Zero(), Moved: false));
                continue;
            }
            var counted = resetDetected || was is null || row.Counters.Zip(was.Seen).Any(pair => pair.First < pair.Second);
            var delta = counted ? row.Counters : QueryCounters.Subtract(row.Counters, was!.Seen);
            var moved = delta.Any(value => value > 0);
            if (moved || counted)
            {
                staged.Add(new Staged(row, QueryCounters.Add(was?.Running ?? QueryCounters.Zero(), delta), moved));
            }
        }

        await StageAsync(connection, staged, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(ApplySql, new { target, takenAt }, transaction, cancellationToken: cancellationToken));
        // After a reset (or a count gone down), everything since it; the Queries page sums these per window.
        var evictions = previous?.Dealloc is not { } deallocBefore ? 0 : resetDetected || info.Dealloc < deallocBefore ? info.Dealloc : info.Dealloc - deallocBefore;
        var snapshot = new QuerySnapshot(target, takenAt, rows.Count, staged.Count(entry => entry.Moved), resetDetected, baseline,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds, evictions);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO query_snapshots (target, taken_at, stats_reset, dealloc, statements_max, evictions, statements, moved, reset_detected, baseline, duration_ms)
            VALUES (@Target, @TakenAt, @statsReset, @Dealloc, @StatementsMax, @Evictions, @Statements, @Moved, @ResetDetected, @Baseline, @DurationMs)
            """, new { snapshot.Target, snapshot.TakenAt, statsReset, info.Dealloc, info.StatementsMax, snapshot.Evictions, snapshot.Statements, snapshot.Moved, snapshot.ResetDetected, snapshot.Baseline, snapshot.DurationMs },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return snapshot;
    }

    /// <summary>pg_stat_statements_info and the extension's capacity on the target.</summary>
    private sealed class TargetInfo
    {
        public DateTimeOffset? StatsReset { get; init; }
        public long Dealloc { get; init; }
        public int? StatementsMax { get; init; }
    }

    private async Task<(TargetInfo Info, IReadOnlyList<TargetRow> Rows)> ReadTargetAsync(string target, CancellationToken cancellationToken)
    {
        await using var connection = await targets.OpenAsync(target, cancellationToken);
        var version = connection.PostgreSqlVersion;
        var counters = string.Join(", ", QueryCounters.OnTarget(version.Major * 10000 + version.Minor));
        var sql = $"""
            SELECT s.queryid AS "QueryId", s.userid::bigint AS "UserId", s.dbid::bigint AS "DbId", s.toplevel AS "Toplevel",
                   coalesce(r.rolname, s.userid::text) AS "UserName", coalesce(d.datname, s.dbid::text) AS "DatabaseName", s.query AS "Query",
                   ARRAY[{counters}]::float8[] AS "Counters",
                   s.min_exec_time AS "MinTimeMs", s.max_exec_time AS "MaxTimeMs", s.stddev_exec_time AS "StddevTimeMs"
            FROM pg_stat_statements s
            LEFT JOIN pg_roles r ON r.oid = s.userid
            LEFT JOIN pg_database d ON d.oid = s.dbid
            WHERE s.queryid IS NOT NULL
            """;
        var info = await connection.QuerySingleAsync<TargetInfo>(new CommandDefinition("""
            SELECT stats_reset AS "StatsReset", dealloc AS "Dealloc", current_setting('pg_stat_statements.max', true)::integer AS "StatementsMax"
            FROM pg_stat_statements_info
            """, cancellationToken: cancellationToken));
        var rows = (await connection.QueryAsync<TargetRow>(new CommandDefinition(sql, cancellationToken: cancellationToken))).AsList();
        return (info, rows);
    }

    private static async Task StageKeysAsync(NpgsqlConnection connection, IReadOnlyList<TargetRow> rows, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "CREATE TEMP TABLE target_keys (query_id bigint, user_id bigint, db_id bigint, toplevel boolean) ON COMMIT DROP", cancellationToken: cancellationToken));
        await using (var writer = await connection.BeginBinaryImportAsync("COPY target_keys (query_id, user_id, db_id, toplevel) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var row in rows)
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(row.QueryId, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(row.UserId, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(row.DbId, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(row.Toplevel, NpgsqlDbType.Boolean, cancellationToken);
            }
            await writer.CompleteAsync(cancellationToken);
        }
        await connection.ExecuteAsync(new CommandDefinition("ANALYZE target_keys", cancellationToken: cancellationToken));
    }

    // Binary COPY: a snapshot of thousands of statements is one round trip, not thousands.
    private static async Task StageAsync(NpgsqlConnection connection, IReadOnlyList<Staged> staged, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition("""
            CREATE TEMP TABLE staged_statements (
                query_id bigint, user_id bigint, db_id bigint, toplevel boolean, user_name text, database_name text, query text,
                seen float8[], running float8[], moved boolean, min_time_ms float8, max_time_ms float8, stddev_time_ms float8
            ) ON COMMIT DROP
            """, cancellationToken: cancellationToken));
        await using var writer = await connection.BeginBinaryImportAsync("""
            COPY staged_statements (query_id, user_id, db_id, toplevel, user_name, database_name, query, seen, running, moved, min_time_ms, max_time_ms, stddev_time_ms)
            FROM STDIN (FORMAT BINARY)
            """, cancellationToken);
        foreach (var (row, running, moved) in staged)
        {
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(row.QueryId, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync(row.UserId, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync(row.DbId, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync(row.Toplevel, NpgsqlDbType.Boolean, cancellationToken);
            await writer.WriteAsync(row.UserName, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(row.DatabaseName, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(row.Query, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(row.Counters, NpgsqlDbType.Array | NpgsqlDbType.Double, cancellationToken);
            await writer.WriteAsync(running, NpgsqlDbType.Array | NpgsqlDbType.Double, cancellationToken);
            await writer.WriteAsync(moved, NpgsqlDbType.Boolean, cancellationToken);
            await writer.WriteAsync(row.MinTimeMs, NpgsqlDbType.Double, cancellationToken);
            await writer.WriteAsync(row.MaxTimeMs, NpgsqlDbType.Double, cancellationToken);
            await writer.WriteAsync(row.StddevTimeMs, NpgsqlDbType.Double, cancellationToken);
        }
        await writer.CompleteAsync(cancellationToken);
    }

    private static readonly string ApplySql = $"""
        INSERT INTO query_statements AS s (target, query_id, user_id, db_id, toplevel, user_name, database_name, query, first_seen, last_moved, seen, running)
        SELECT @target, query_id, user_id, db_id, toplevel, user_name, database_name, query, @takenAt, CASE WHEN moved THEN @takenAt END, seen, running
        FROM staged_statements
        ON CONFLICT (target, query_id, user_id, db_id, toplevel) DO UPDATE
        SET user_name = excluded.user_name, database_name = excluded.database_name, query = excluded.query,
            seen = excluded.seen, running = excluded.running, last_moved = coalesce(excluded.last_moved, s.last_moved);

        INSERT INTO query_totals (statement_id, taken_at, {string.Join(", ", QueryCounters.Names)}, min_time_ms, max_time_ms, stddev_time_ms)
        SELECT s.id, @takenAt, {string.Join(", ", QueryCounters.Names.Select((_, index) => $"st.running[{index + 1}]"))}, st.min_time_ms, st.max_time_ms, st.stddev_time_ms
        FROM staged_statements st
        JOIN query_statements s ON s.target = @target AND s.query_id = st.query_id AND s.user_id = st.user_id AND s.db_id = st.db_id AND s.toplevel = st.toplevel
        WHERE st.moved;
        """;

    /// <summary>
    /// The nightly retention: 5-minute rows older than <see cref="QueryOptions.RawRetentionDays"/> are thinned to the last
    /// row of each UTC day (running totals: a day's last row is its daily rollup); rows older than
    /// <see cref="QueryOptions.DailyRetentionDays"/> go, but for each statement's last one, which later windows start from.
    /// A statement is forgotten with its rows once it has not moved for <see cref="QueryOptions.DailyRetentionDays"/> (no
    /// window the portal keeps shows it) and its target no longer holds it (should it come back, its counters start from
    /// zero, all of them activity after the snapshot before); a target that cannot be read keeps its statements.
    /// Idempotent: a rerun deletes nothing more.
    /// </summary>
    public async Task<(int Thinned, int Expired, int Forgotten)> ApplyRetentionAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var rawCutoff = now - TimeSpan.FromDays(options.Value.RawRetentionDays);
        var dailyCutoff = now - TimeSpan.FromDays(options.Value.DailyRetentionDays);
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        var thinned = await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM query_totals t
            WHERE t.taken_at < @rawCutoff
              AND EXISTS (SELECT 1 FROM query_totals later
                          WHERE later.statement_id = t.statement_id AND later.taken_at > t.taken_at AND later.taken_at < @rawCutoff
                            AND date_trunc('day', later.taken_at, 'UTC') = date_trunc('day', t.taken_at, 'UTC'))
            """, new { rawCutoff }, cancellationToken: cancellationToken, commandTimeout: 600));
        var expired = await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM query_totals t
            WHERE t.taken_at < @dailyCutoff
              AND EXISTS (SELECT 1 FROM query_totals later WHERE later.statement_id = t.statement_id AND later.taken_at > t.taken_at AND later.taken_at < @dailyCutoff);
            DELETE FROM query_snapshots WHERE taken_at < @dailyCutoff;
            """, new { dailyCutoff }, cancellationToken: cancellationToken, commandTimeout: 600));
        var forgotten = 0;
        foreach (var target in targets.All)
        {
            forgotten += await ForgetGoneStatementsAsync(connection, target.Name, dailyCutoff, cancellationToken);
        }
        return (thinned, expired, forgotten);
    }

    private async Task<int> ForgetGoneStatementsAsync(NpgsqlConnection connection, string target, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        IReadOnlyList<TargetRow> held;
        try
        {
            await using var targetConnection = await targets.OpenAsync(target, cancellationToken);
            held = (await targetConnection.QueryAsync<TargetRow>(new CommandDefinition("""
                SELECT queryid AS "QueryId", userid::bigint AS "UserId", dbid::bigint AS "DbId", toplevel AS "Toplevel"
                FROM pg_stat_statements WHERE queryid IS NOT NULL
                """, cancellationToken: cancellationToken))).AsList();
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            logger.LogWarning("Query statistics retention: target {Target} could not be read ({Error}); its statements are kept", target, exception.Message);
            return 0;
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await StageKeysAsync(connection, held, cancellationToken);
        var forgotten = await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM query_statements s
            WHERE s.target = @target AND coalesce(s.last_moved, s.first_seen) < @cutoff
              AND NOT EXISTS (SELECT 1 FROM target_keys k
                              WHERE k.query_id = s.query_id AND k.user_id = s.user_id AND k.db_id = s.db_id AND k.toplevel = s.toplevel)
            """, new { target, cutoff }, transaction, cancellationToken: cancellationToken, commandTimeout: 600));
        await transaction.CommitAsync(cancellationToken);
        return forgotten;
    }
}
