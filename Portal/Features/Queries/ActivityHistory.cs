using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Portal.Features.Queries;

/// <summary>What a target's sessions were doing over a stretch of time: session-seconds by wait (its type and event).</summary>
public sealed record WaitSeries(string Wait, IReadOnlyList<(DateTimeOffset At, double AverageSessions)> Points);

/// <summary>A statement's time in sessions over a window, and the waits it spent it in (session-seconds, most first).</summary>
public sealed record WaitingStatement(long QueryId, string? Query, double SessionSeconds, IReadOnlyList<(string Wait, double SessionSeconds)> Waits);

/// <summary>
/// A lock wait seen in the samples: a session blocked by another, from the first sample that saw it to the last, how
/// long it had been waiting at the last, and both sides' statements.
/// </summary>
public sealed record LockWait(
    string Database, int BlockedPid, int BlockingPid, long BlockedQueryId, long BlockingQueryId, string WaitEvent, string BlockedQuery, string BlockingQuery,
    string BlockingState, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, double LongestWaitMs, int Samples);

/// <summary>
/// The activity history of the query targets, PoWA's and pganalyze's "what were sessions waiting on an hour ago": the
/// activity-samples job reads each target's pg_stat_activity on its schedule (every 10 s unless Jobs:Schedules says
/// otherwise; each sample stands for the interval between two fires) through its monitoring role (pg_monitor reads
/// every session) and stores each sample compactly — sessions counted
/// by database, state, wait event and statement as session-seconds, and the lock waits with the session each waits
/// for (pg_blocking_pids). Samples older than <see cref="QueryOptions.ActivityRawDays"/> are folded into hourly rows.
/// "Running" is an active session waiting on nothing: on CPU, or in a wait PostgreSQL does not instrument.
/// </summary>
public sealed class ActivityHistory(QueryTargets targets, NpgsqlDataSource portal, IOptions<QueryOptions> options, TimeProvider time)
{
    public const string Running = "Running";

    public const string Idle = "idle";

    /// <summary>Raw samples answer windows up to this long; longer windows read the hourly rows.</summary>
    public static readonly TimeSpan RawWindow = TimeSpan.FromDays(1);

    /// <summary>The bins a window is drawn in: about 120 across it, never finer than a sample (10 s).</summary>
    public static TimeSpan BinFor(TimeSpan window) => TimeSpan.FromSeconds(Math.Max(10, Math.Ceiling(window.TotalSeconds / 120 / 10) * 10));

    private sealed record ActivityRow(string Database, string State, string WaitEventType, string WaitEvent, long QueryId, int Sessions);

    private sealed record LockRow(
        string Database, int BlockedPid, int BlockingPid, DateTime BlockedSince, long BlockedQueryId, long BlockingQueryId, string WaitEventType, string WaitEvent, double WaitingMs,
        string BlockedQuery, string BlockingQuery, string BlockingState);

    /// <summary>
    /// Reads the target's sessions once and stores the sample, each session counting for <paramref name="interval"/>
    /// (the time between two samples); the number of sessions and lock waits seen.
    /// </summary>
    public async Task<(int Sessions, int LockWaits)> SampleAsync(string target, TimeSpan interval, CancellationToken cancellationToken = default)
    {
        var at = time.GetUtcNow();
        await using var source = await targets.OpenAsync(target, cancellationToken);
        // An idle session's query_id is the last statement it ran: idle sessions count by database alone (a pool of 150
        // keeps one row a sample, not one per statement they last ran).
        var activity = (await source.QueryAsync<ActivityRow>(new CommandDefinition("""
            SELECT coalesce(datname, '') AS "Database", coalesce(state, 'unknown') AS "State", coalesce(wait_event_type, '') AS "WaitEventType",
                   coalesce(wait_event, '') AS "WaitEvent", CASE WHEN state = 'idle' THEN 0 ELSE coalesce(query_id, 0) END AS "QueryId", count(*)::int AS "Sessions"
            FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
            GROUP BY 1, 2, 3, 4, 5
            """, cancellationToken: cancellationToken))).AsList();
        // Each session waiting for a lock and each session it waits for: since when, both statements.
        var locks = (await source.QueryAsync<LockRow>(new CommandDefinition("""
            SELECT coalesce(a.datname, '') AS "Database", a.pid AS "BlockedPid", b.pid AS "BlockingPid", coalesce(a.query_start, now()) AS "BlockedSince",
                   coalesce(a.query_id, 0) AS "BlockedQueryId", coalesce(b.query_id, 0) AS "BlockingQueryId", a.wait_event_type AS "WaitEventType",
                   coalesce(a.wait_event, '') AS "WaitEvent", coalesce(extract(epoch FROM now() - a.query_start) * 1000, 0)::float8 AS "WaitingMs",
                   left(coalesce(a.query, ''), 2000) AS "BlockedQuery", left(coalesce(b.query, ''), 2000) AS "BlockingQuery", coalesce(b.state, 'unknown') AS "BlockingState"
            FROM pg_stat_activity a
            CROSS JOIN LATERAL unnest(pg_blocking_pids(a.pid)) AS blocker(pid)
            JOIN pg_stat_activity b ON b.pid = blocker.pid
            WHERE a.backend_type = 'client backend' AND a.wait_event_type = 'Lock'
            """, cancellationToken: cancellationToken))).AsList();

        // One statement per table (arrays unnested by the server), not one per row.
        var seconds = interval.TotalSeconds;
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO query_activity (target, at, database, state, wait_event_type, wait_event, query_id, session_seconds)
            SELECT @target, @at, row.* FROM unnest(@databases, @states, @waitEventTypes, @waitEvents, @queryIds, @sessionSeconds) AS row
            """, new
        {
            target, at,
            databases = activity.Select(row => row.Database).ToArray(), states = activity.Select(row => row.State).ToArray(),
            waitEventTypes = activity.Select(row => row.WaitEventType).ToArray(), waitEvents = activity.Select(row => row.WaitEvent).ToArray(),
            queryIds = activity.Select(row => row.QueryId).ToArray(), sessionSeconds = activity.Select(row => row.Sessions * seconds).ToArray(),
        }, transaction, cancellationToken: cancellationToken));
        // A wait seen before (same blocked session, blocker and statement start) is the same episode: seen once more.
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO query_lock_waits AS episode (target, database, blocked_pid, blocking_pid, blocked_since, blocked_query_id, blocking_query_id,
                                                     wait_event_type, wait_event, waiting_ms, blocked_query, blocking_query, blocking_state,
                                                     first_seen, last_seen, samples)
            SELECT @target, row.database, row.blocked_pid, row.blocking_pid, row.blocked_since, row.blocked_query_id, row.blocking_query_id,
                   row.wait_event_type, row.wait_event, row.waiting_ms, row.blocked_query, row.blocking_query, row.blocking_state, @at, @at, 1
            FROM unnest(@databases, @blockedPids, @blockingPids, @blockedSince, @blockedQueryIds, @blockingQueryIds, @waitEventTypes, @waitEvents,
                        @waitingMs, @blockedQueries, @blockingQueries, @blockingStates)
                 AS row (database, blocked_pid, blocking_pid, blocked_since, blocked_query_id, blocking_query_id, wait_event_type, wait_event,
                         waiting_ms, blocked_query, blocking_query, blocking_state)
            ON CONFLICT (target, blocked_pid, blocking_pid, blocked_since) DO UPDATE SET
                last_seen = excluded.last_seen, samples = episode.samples + 1, waiting_ms = greatest(episode.waiting_ms, excluded.waiting_ms),
                blocking_query_id = excluded.blocking_query_id, blocking_query = excluded.blocking_query, blocking_state = excluded.blocking_state,
                wait_event_type = excluded.wait_event_type, wait_event = excluded.wait_event
            """, new
        {
            target, at,
            databases = locks.Select(row => row.Database).ToArray(), blockedPids = locks.Select(row => row.BlockedPid).ToArray(),
            blockingPids = locks.Select(row => row.BlockingPid).ToArray(), blockedSince = locks.Select(row => row.BlockedSince).ToArray(),
            blockedQueryIds = locks.Select(row => row.BlockedQueryId).ToArray(), blockingQueryIds = locks.Select(row => row.BlockingQueryId).ToArray(),
            waitEventTypes = locks.Select(row => row.WaitEventType).ToArray(), waitEvents = locks.Select(row => row.WaitEvent).ToArray(),
            waitingMs = locks.Select(row => row.WaitingMs).ToArray(), blockedQueries = locks.Select(row => row.BlockedQuery).ToArray(),
            blockingQueries = locks.Select(row => row.BlockingQuery).ToArray(), blockingStates = locks.Select(row => row.BlockingState).ToArray(),
        }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return (activity.Sum(row => row.Sessions), locks.Count);
    }

    /// <summary>The wait a row counts under: its type and event ("Lock: transactionid"), Running for an active session waiting on nothing.</summary>
    private const string WaitOf = "CASE WHEN wait_event_type = '' THEN 'Running' ELSE wait_event_type || ': ' || wait_event END";

    // Raw samples for windows within a day (and within the raw retention), hourly rows beyond.
    private bool Raw(DateTimeOffset from, DateTimeOffset to) =>
        to - from <= RawWindow && from >= time.GetUtcNow() - TimeSpan.FromDays(options.Value.ActivityRawDays);

    private string Table(DateTimeOffset from, DateTimeOffset to) => Raw(from, to) ? "query_activity" : "query_activity_hourly";

    private string At(DateTimeOffset from, DateTimeOffset to) => Raw(from, to) ? "at" : "hour";

    /// <summary>
    /// Average active sessions (session-seconds ÷ the bin's seconds) by wait in bins of <paramref name="bin"/> over the
    /// window: idle sessions left out, the busiest waits first.
    /// </summary>
    public async Task<IReadOnlyList<WaitSeries>> WaitsOverTimeAsync(string target, DateTimeOffset from, DateTimeOffset to, TimeSpan bin, CancellationToken cancellationToken = default)
    {
        if (!Raw(from, to) && bin < TimeSpan.FromHours(1))
        {
            bin = TimeSpan.FromHours(1);
        }
        var sql = $"""
            SELECT {WaitOf} AS wait, to_timestamp(floor(extract(epoch FROM {At(from, to)}) / @binSeconds) * @binSeconds) AS bin, sum(session_seconds) AS session_seconds
            FROM {Table(from, to)}
            WHERE target = @target AND {At(from, to)} >= @from AND {At(from, to)} < @to AND state <> 'idle'
            GROUP BY 1, 2
            """;
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Wait, DateTime Bin, double SessionSeconds)>(new CommandDefinition(sql,
            new { target, from, to, binSeconds = bin.TotalSeconds }, cancellationToken: cancellationToken));
        return rows.GroupBy(row => row.Wait)
            .OrderByDescending(group => group.Sum(row => row.SessionSeconds))
            .Select(group => new WaitSeries(group.Key, group.OrderBy(row => row.Bin)
                .Select(row => (new DateTimeOffset(DateTime.SpecifyKind(row.Bin, DateTimeKind.Utc)), row.SessionSeconds / bin.TotalSeconds)).ToList()))
            .ToList();
    }

    /// <summary>The statements that spent the most session time (not idle) over the window, each with its waits.</summary>
    public async Task<IReadOnlyList<WaitingStatement>> WaitingStatementsAsync(string target, DateTimeOffset from, DateTimeOffset to, int limit = 20, CancellationToken cancellationToken = default)
    {
        var sql = $"""
            SELECT query_id, {WaitOf} AS wait, sum(session_seconds) AS session_seconds
            FROM {Table(from, to)}
            WHERE target = @target AND {At(from, to)} >= @from AND {At(from, to)} < @to AND state <> 'idle' AND query_id <> 0
            GROUP BY 1, 2
            """;
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long QueryId, string Wait, double SessionSeconds)>(new CommandDefinition(sql, new { target, from, to }, cancellationToken: cancellationToken));
        var statements = rows.GroupBy(row => row.QueryId)
            .Select(group => (QueryId: group.Key, Total: group.Sum(row => row.SessionSeconds),
                Waits: group.OrderByDescending(row => row.SessionSeconds).Select(row => (row.Wait, row.SessionSeconds)).ToList()))
            .OrderByDescending(statement => statement.Total).Take(limit).ToList();
        var texts = (await connection.QueryAsync<(long QueryId, string Query)>(new CommandDefinition("""
            SELECT DISTINCT ON (query_id) query_id, query FROM query_statements WHERE target = @target AND query_id = ANY(@ids) ORDER BY query_id, last_moved DESC NULLS LAST
            """, new { target, ids = statements.Select(statement => statement.QueryId).ToArray() }, cancellationToken: cancellationToken))).ToDictionary(row => row.QueryId, row => row.Query);
        return statements.Select(statement => new WaitingStatement(statement.QueryId, texts.GetValueOrDefault(statement.QueryId), statement.Total, statement.Waits)).ToList();
    }

    /// <summary>
    /// The lock waits seen in the window, one per blocked session, blocker and blocked statement (each stored as an
    /// episode: the samples of one wait are one row), the longest first. Kept as long as the raw samples.
    /// </summary>
    public async Task<IReadOnlyList<LockWait>> LockWaitsAsync(string target, DateTimeOffset from, DateTimeOffset to, int limit = 50, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT database AS "Database", blocked_pid AS "BlockedPid", blocking_pid AS "BlockingPid", blocked_query_id AS "BlockedQueryId",
                   max(blocking_query_id) AS "BlockingQueryId", max(wait_event_type || ': ' || wait_event) AS "WaitEvent", max(blocked_query) AS "BlockedQuery",
                   (array_agg(blocking_query ORDER BY last_seen DESC))[1] AS "BlockingQuery", (array_agg(blocking_state ORDER BY last_seen DESC))[1] AS "BlockingState",
                   min(first_seen) AS "FirstSeen", max(last_seen) AS "LastSeen", max(waiting_ms) AS "LongestWaitMs", sum(samples)::int AS "Samples"
            FROM query_lock_waits
            WHERE target = @target AND last_seen >= @from AND first_seen < @to
            GROUP BY database, blocked_pid, blocking_pid, blocked_query_id
            ORDER BY max(waiting_ms) DESC
            LIMIT @limit
            """;
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<LockWait>(new CommandDefinition(sql, new { target, from, to, limit }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Folds samples older than the raw retention into hourly rows and drops them (and their lock waits); expires old hourly rows.</summary>
    public async Task<(int Folded, int Expired)> ApplyRetentionAsync(CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var cutoff = time.GetUtcNow() - TimeSpan.FromDays(settings.ActivityRawDays);
        // Whole hours only: the hour the cutoff falls in is folded with the next run.
        var hour = new DateTimeOffset(cutoff.UtcDateTime.Date.AddHours(cutoff.UtcDateTime.Hour), TimeSpan.Zero);
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var folded = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO query_activity_hourly (target, hour, database, state, wait_event_type, wait_event, query_id, session_seconds)
            SELECT target, date_trunc('hour', at), database, state, wait_event_type, wait_event, query_id, sum(session_seconds)
            FROM query_activity WHERE at < @hour
            GROUP BY 1, 2, 3, 4, 5, 6, 7
            ON CONFLICT (target, hour, database, state, wait_event_type, wait_event, query_id)
            DO UPDATE SET session_seconds = query_activity_hourly.session_seconds + excluded.session_seconds
            """, new { hour }, transaction, cancellationToken: cancellationToken, commandTimeout: 600));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM query_activity WHERE at < @hour", new { hour }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM query_lock_waits WHERE last_seen < @hour", new { hour }, transaction, cancellationToken: cancellationToken));
        var expired = await connection.ExecuteAsync(new CommandDefinition("DELETE FROM query_activity_hourly WHERE hour < @before",
            new { before = time.GetUtcNow() - TimeSpan.FromDays(settings.ActivityHourlyDays) }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return (folded, expired);
    }
}
