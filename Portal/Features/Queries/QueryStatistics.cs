using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Features.Cache;

namespace Portal.Features.Queries;

public enum QuerySort
{
    TotalTime,
    MeanTime,
    Calls,
    Rows,
    SharedBlocksRead,
    TempBlocks,
}

/// <summary>What a top list is asked for. The window is resolved against the target's snapshots (see <see cref="QueryStatistics.ResolveAsync"/>).</summary>
public sealed record TopQueriesRequest(
    string Target, DateTimeOffset From, DateTimeOffset To, QuerySort Sort = QuerySort.TotalTime, bool Descending = true, int Offset = 0, int Limit = 50,
    string? Database = null, string? User = null, string? Search = null, bool FlaggedOnly = false, long? QueryId = null)
{
    /// <summary>Only the target's statements in its <see cref="StatementScope"/> (the default); false: every statement.</summary>
    public bool InScope { get; init; } = true;

    /// <summary>At least this many calls in the window, beyond the scope's own minimum (an alert rule's <c>min_calls</c>).</summary>
    public long MinCalls { get; init; } = 1;
}

/// <summary>One statement's activity in a window: deltas of its counters, never the target's totals since its last reset.</summary>
public sealed record QueryRow
{
    public long StatementId { get; init; }
    public long QueryId { get; init; }
    public string Query { get; init; } = "";
    public string DatabaseName { get; init; } = "";
    public string UserName { get; init; } = "";
    public long Calls { get; init; }
    public double TotalTimeMs { get; init; }
    public double SharePercent { get; init; }
    public double MeanTimeMs { get; init; }
    public long Rows { get; init; }
    public double RowsPerCall { get; init; }
    public double? SharedBlksHitRatio { get; init; }
    public long SharedBlksRead { get; init; }
    public long TempBlks { get; init; }
    public double? PreviousMeanTimeMs { get; init; }
    public long PreviousCalls { get; init; }
    public double PreviousTimeMs { get; init; }
    public bool IsNew { get; init; }
    public bool IsSlow { get; init; }
    public bool IsRegressed { get; init; }
    public bool IsNPlusOneSuspect { get; init; }
}

/// <summary>A page of the top list, with what the whole window adds up to.</summary>
public sealed record TopQueries(IReadOnlyList<QueryRow> Rows, int TotalCount, double AllTimeMs, DateTimeOffset From, DateTimeOffset To, DateTimeOffset? FirstSnapshot,
    StatementEvictions Evictions);

/// <summary>
/// How many times pg_stat_statements made room in a window (<c>pg_stat_statements_info.dealloc</c>, each time dropping
/// the least-run 5 % of its entries), and its <c>pg_stat_statements.max</c> at the window's end (null: not known).
/// </summary>
public sealed record StatementEvictions(long Count, int? StatementsMax)
{
    /// <summary>"made room once", "made room 23 times".</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string MadeRoom => Count == 1 ? "made room once" : $"made room {Count:N0} times";

    /// <summary>What making room costs the figures: the Queries page's, the report's and the target check's words.</summary>
    public const string Cost = "full, it drops the least-run 5 % of its statements, with what they did since the portal's last snapshot";

    /// <summary>What a window with evictions means, and the fix (the Queries page and the report).</summary>
    public const string Advice = "Rarely run statements are missing or undercounted here: raise pg_stat_statements.max on the target (a restart applies it).";
}

/// <summary>What the portal has of a target: its snapshots so far, and the databases and users its statements ran in.</summary>
public sealed record TargetCoverage(int Snapshots, DateTimeOffset? First, DateTimeOffset? Last, IReadOnlyList<string> Databases, IReadOnlyList<string> Users);

/// <summary>One snapshot interval of a statement: its calls and time then (zero when it did not run).</summary>
public sealed record QueryInterval
{
    public DateTimeOffset At { get; init; }
    public double Seconds { get; init; }
    public long Calls { get; init; }
    public double TimeMs { get; init; }

    public double CallsPerSecond => Seconds > 0 ? Calls / Seconds : 0;

    public double? MeanTimeMs => Calls > 0 ? TimeMs / Calls : null;
}

/// <summary>Which statements of a target: a query id, a database, a pattern (a case-insensitive regular expression, PostgreSQL's <c>~*</c>); null matches any.</summary>
public sealed record StatementFilter(string? Database = null, string? Pattern = null, long? QueryId = null);

/// <summary>Reads of the snapshots: top lists over any window, from the difference of two running-total rows per statement.</summary>
public sealed class QueryStatistics(NpgsqlDataSource portal, PortalCache cache, QueryTargets targets, IOptions<QueryOptions> options)
{
    /// <summary>
    /// Ends a window at the target's last snapshot at or before <paramref name="to"/> (nothing is known after it), so a
    /// preset window gives the same — cacheable — answer until the next snapshot.
    /// </summary>
    /// <remarks>
    /// A custom window is the span asked for, not shifted: from the snapshot nearest its start (the baseline: what ran
    /// before it is not counted) to the snapshot nearest its end. A preset window keeps its length and ends at the last snapshot.
    /// </remarks>
    public async Task<(DateTimeOffset From, DateTimeOffset To)> ResolveAsync(string target, Portal.Components.TimeRange window, CancellationToken cancellationToken = default)
    {
        if (window.Key != Portal.Components.TimeRange.Custom)
        {
            return await ResolveAsync(target, window.From, window.To, cancellationToken);
        }
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        var (from, to) = await connection.QuerySingleAsync<(DateTimeOffset?, DateTimeOffset?)>(new CommandDefinition("""
            WITH start AS (
                SELECT taken_at FROM query_snapshots WHERE target = @target
                ORDER BY abs(extract(epoch FROM taken_at - @from)), taken_at LIMIT 1
            )
            SELECT (SELECT taken_at FROM start),
                   (SELECT taken_at FROM query_snapshots WHERE target = @target AND taken_at > (SELECT taken_at FROM start)
                    ORDER BY abs(extract(epoch FROM taken_at - @to)), taken_at LIMIT 1)
            """, new { target, from = window.From, to = window.To }, cancellationToken: cancellationToken));
        return from is { } start && to is { } end ? (start, end) : (window.From, window.To);
    }

    public async Task<(DateTimeOffset From, DateTimeOffset To)> ResolveAsync(string target, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        var last = await connection.QuerySingleAsync<DateTimeOffset?>(new CommandDefinition(
            "SELECT max(taken_at) FROM query_snapshots WHERE target = @target AND taken_at <= @to", new { target, to }, cancellationToken: cancellationToken));
        return last is { } end && end > from ? (end - (to - from), end) : (from, to);
    }

    /// <summary>How many snapshots of the target were taken between two instants (both included).</summary>
    public async Task<int> SnapshotCountAsync(string target, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(*) FROM query_snapshots WHERE target = @target AND taken_at >= @from AND taken_at <= @to", new { target, from, to }, cancellationToken: cancellationToken));
    }

    public async Task<TargetCoverage> CoverageAsync(string target, CancellationToken cancellationToken = default)
    {
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        var snapshots = await connection.QuerySingleAsync<SnapshotSpan>(new CommandDefinition(
            "SELECT count(*) AS \"Count\", min(taken_at) AS \"First\", max(taken_at) AS \"Last\" FROM query_snapshots WHERE target = @target", new { target }, cancellationToken: cancellationToken));
        var databases = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT database_name FROM query_statements WHERE target = @target ORDER BY 1", new { target }, cancellationToken: cancellationToken));
        var users = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT user_name FROM query_statements WHERE target = @target ORDER BY 1", new { target }, cancellationToken: cancellationToken));
        return new TargetCoverage((int)snapshots.Count, snapshots.First, snapshots.Last, databases.AsList(), users.AsList());
    }

    public async Task<TopQueries> TopAsync(TopQueriesRequest request, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var scope = request.InScope ? targets.Find(request.Target)?.Scope ?? StatementScope.Everything : StatementScope.Everything;
        var parameters = new
        {
            request.Target, request.From, request.To, Span = request.To - request.From,
            ExcludedUsers = scope.ExcludedUsers.ToArray(), Databases = scope.Databases.ToArray(), MinCalls = Math.Max(scope.MinCalls, request.MinCalls),
            request.Database, request.User, Search = string.IsNullOrWhiteSpace(request.Search) ? null : $"%{EscapeLike(request.Search.Trim())}%",
            request.FlaggedOnly, request.Offset, request.Limit, request.QueryId,
            settings.SlowMeanMs, settings.SlowMinCalls, Regression = 1 + settings.RegressionPercent / 100,
            settings.NPlusOneMaxMeanMs, settings.NPlusOneMinCallsPerMinute,
        };
        var result = await cache.GetOrCreateAsync(CacheOptions.QueryStatistics, new { top = parameters, request.Sort, request.Descending }, async token =>
        {
            await using var connection = await portal.OpenConnectionAsync(token);
            var sql = TopSql.Replace("{order}", OrderBy(request.Sort, request.Descending), StringComparison.Ordinal);
            var page = (await connection.QueryAsync<QueryRow, Summary, (QueryRow Row, Summary Summary)>(
                new CommandDefinition(sql, parameters, cancellationToken: token), (row, summary) => (row, summary), splitOn: "Count")).AsList();
            var firstSnapshot = await connection.QuerySingleAsync<DateTimeOffset?>(new CommandDefinition(
                "SELECT min(taken_at) FROM query_snapshots WHERE target = @Target", parameters, cancellationToken: token));
            var evictions = await connection.QuerySingleAsync<StatementEvictions>(new CommandDefinition(EvictionsSql, parameters, cancellationToken: token));
            return new TopQueries(page.Select(entry => entry.Row).ToList(), page.FirstOrDefault().Summary?.Count ?? 0,
                page.FirstOrDefault().Summary?.AllTimeMs ?? 0, request.From, request.To, firstSnapshot, evictions);
        }, cancellationToken);
        return result.Value;
    }

    /// <summary>
    /// The text of a query id on a target (null when the portal never saw it). pg_stat_statements gives a statement
    /// prepared or explained by name (<c>PREPARE p AS …</c>, the portal's own EXPLAINs among them) the query id of the
    /// statement inside: the statement's own text is preferred to those.
    /// </summary>
    public async Task<string?> TextAsync(string target, long queryId, CancellationToken cancellationToken = default)
    {
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition("""
            SELECT query FROM query_statements WHERE target = @target AND query_id = @queryId
            ORDER BY query ~* '^\s*(prepare|explain)\s' , last_moved DESC NULLS LAST LIMIT 1
            """, new { target, queryId }, cancellationToken: cancellationToken));
    }

    /// <summary>Every counter's delta over the window for a query id (all its users and databases), and the extremes the target reports now.</summary>
    public async Task<IReadOnlyDictionary<string, double>> CountersAsync(string target, long queryId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var sums = string.Join(", ", QueryCounters.Names.Select(name => $"coalesce(sum(e.{name} - coalesce(b.{name}, 0)), 0) AS {name}"));
        var sql = $"""
            SELECT {sums}, coalesce(min(e.min_time_ms), 0) AS min_time_ms, coalesce(max(e.max_time_ms), 0) AS max_time_ms
            FROM query_statements s
            CROSS JOIN LATERAL (SELECT * FROM query_totals t WHERE t.statement_id = s.id AND t.taken_at <= @to ORDER BY t.taken_at DESC LIMIT 1) e
            LEFT JOIN LATERAL (SELECT * FROM query_totals t WHERE t.statement_id = s.id AND t.taken_at <= @from ORDER BY t.taken_at DESC LIMIT 1) b ON true
            WHERE s.target = @target AND s.query_id = @queryId
            """;
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        var row = (IDictionary<string, object>)await connection.QuerySingleAsync(new CommandDefinition(sql, new { target, queryId, from, to }, cancellationToken: cancellationToken));
        return row.ToDictionary(pair => pair.Key, pair => Convert.ToDouble(pair.Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The query id's activity per snapshot interval of the window.</summary>
    public Task<IReadOnlyList<QueryInterval>> SeriesAsync(string target, long queryId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        SeriesAsync(target, new StatementFilter(QueryId: queryId), from, to, cancellationToken);

    /// <summary>
    /// The matching statements' activity per snapshot interval of the window, summed. A statement stores a row only
    /// when it moved, so the difference of two consecutive rows all happened in the interval ending at the later one.
    /// </summary>
    public async Task<IReadOnlyList<QueryInterval>> SeriesAsync(string target, StatementFilter filter, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        const string sql = """
            WITH snaps AS (
                SELECT taken_at, extract(epoch FROM taken_at - lag(taken_at) OVER (ORDER BY taken_at))::float8 AS seconds
                FROM query_snapshots WHERE target = @target AND taken_at <= @to AND taken_at > @from - interval '1 day'
            ),
            deltas AS (
                SELECT t.taken_at,
                       t.calls - coalesce(lag(t.calls) OVER w, 0) AS calls,
                       t.total_time_ms - coalesce(lag(t.total_time_ms) OVER w, 0) AS time_ms
                FROM query_totals t JOIN query_statements s ON s.id = t.statement_id
                WHERE s.target = @target AND t.taken_at <= @to
                  AND (@QueryId::bigint IS NULL OR s.query_id = @QueryId)
                  AND (@Database::text IS NULL OR s.database_name = @Database)
                  AND (@Pattern::text IS NULL OR s.query ~* @Pattern)
                WINDOW w AS (PARTITION BY t.statement_id ORDER BY t.taken_at)
            )
            SELECT sn.taken_at AS "At", coalesce(sn.seconds, 0) AS "Seconds",
                   coalesce(sum(d.calls), 0)::bigint AS "Calls", coalesce(sum(d.time_ms), 0) AS "TimeMs"
            FROM snaps sn LEFT JOIN deltas d ON d.taken_at = sn.taken_at
            WHERE sn.taken_at > @from
            GROUP BY sn.taken_at, sn.seconds
            ORDER BY sn.taken_at
            """;
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<QueryInterval>(new CommandDefinition(sql,
            new { target, filter.QueryId, filter.Database, filter.Pattern, from, to }, cancellationToken: cancellationToken))).AsList();
    }

    // The evictions each snapshot in the window counted since the one before (QuerySnapshots.TakeAsync), and the
    // capacity the last of them saw.
    private const string EvictionsSql = """
        SELECT coalesce(sum(evictions), 0)::bigint AS "Count",
               (SELECT statements_max FROM query_snapshots WHERE target = @Target AND taken_at <= @To ORDER BY taken_at DESC LIMIT 1) AS "StatementsMax"
        FROM query_snapshots
        WHERE target = @Target AND taken_at > @From AND taken_at <= @To
        """;

    private sealed record Summary(int Count, double AllTimeMs);

    private sealed class SnapshotSpan
    {
        public long Count { get; init; }
        public DateTimeOffset? First { get; init; }
        public DateTimeOffset? Last { get; init; }
    }

    private static string EscapeLike(string text) => text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");

    // Column names come from this switch, never from the request.
    private static string OrderBy(QuerySort sort, bool descending)
    {
        var column = sort switch
        {
            QuerySort.MeanTime => "\"MeanTimeMs\"",
            QuerySort.Calls => "\"Calls\"",
            QuerySort.Rows => "\"Rows\"",
            QuerySort.SharedBlocksRead => "\"SharedBlksRead\"",
            QuerySort.TempBlocks => "\"TempBlks\"",
            _ => "\"TotalTimeMs\"",
        };
        return $"{column} {(descending ? "DESC" : "ASC")}, \"StatementId\"";
    }

    // Each statement's window is the difference of its last running-total row at or before each end (none: zero).
    // Only statements that moved after the window's start can have activity in it.
    private const string WindowSql = """
        WITH windowed AS (
            SELECT s.id, s.query_id, s.query, s.database_name, s.user_name, s.first_seen,
                   e.calls - coalesce(b.calls, 0) AS calls,
                   e.total_time_ms - coalesce(b.total_time_ms, 0) AS total_time_ms,
                   e.rows - coalesce(b.rows, 0) AS rows,
                   e.shared_blks_hit - coalesce(b.shared_blks_hit, 0) AS shared_blks_hit,
                   e.shared_blks_read - coalesce(b.shared_blks_read, 0) AS shared_blks_read,
                   e.temp_blks_read + e.temp_blks_written - coalesce(b.temp_blks_read + b.temp_blks_written, 0) AS temp_blks,
                   b.calls - coalesce(p.calls, 0) AS previous_calls,
                   b.total_time_ms - coalesce(p.total_time_ms, 0) AS previous_time_ms
            FROM query_statements s
            CROSS JOIN LATERAL (SELECT * FROM query_totals t WHERE t.statement_id = s.id AND t.taken_at <= @To ORDER BY t.taken_at DESC LIMIT 1) e
            LEFT JOIN LATERAL (SELECT * FROM query_totals t WHERE t.statement_id = s.id AND t.taken_at <= @From ORDER BY t.taken_at DESC LIMIT 1) b ON true
            LEFT JOIN LATERAL (SELECT calls, total_time_ms FROM query_totals t WHERE t.statement_id = s.id AND t.taken_at <= @From - @Span ORDER BY t.taken_at DESC LIMIT 1) p ON true
            WHERE s.target = @Target AND s.last_moved > @From
              AND (@Database::text IS NULL OR s.database_name = @Database)
              AND (@User::text IS NULL OR s.user_name = @User)
              AND (@Search::text IS NULL OR s.query ILIKE @Search)
              AND (@QueryId::bigint IS NULL OR s.query_id = @QueryId)
              AND s.user_name <> ALL(@ExcludedUsers)
              AND (cardinality(@Databases::text[]) = 0 OR s.database_name = ANY(@Databases))
        ),
        baseline AS (SELECT min(taken_at) AS at FROM query_snapshots WHERE target = @Target),
        flagged AS (
            SELECT w.*, w.total_time_ms / w.calls AS mean_time_ms,
                   CASE WHEN w.previous_calls > 0 THEN w.previous_time_ms / w.previous_calls END AS previous_mean_ms,
                   w.first_seen > greatest(@From, (SELECT at FROM baseline)) AS is_new
            FROM windowed w
            WHERE w.calls >= @MinCalls
        ),
        rows AS (
            SELECT id AS "StatementId", query_id AS "QueryId", query AS "Query", database_name AS "DatabaseName", user_name AS "UserName",
                   calls::bigint AS "Calls", total_time_ms AS "TotalTimeMs",
                   100 * total_time_ms / nullif(sum(total_time_ms) OVER (), 0) AS "SharePercent", -- of every statement's time, flagged or not
                   mean_time_ms AS "MeanTimeMs", rows::bigint AS "Rows", rows / calls AS "RowsPerCall",
                   shared_blks_hit / nullif(shared_blks_hit + shared_blks_read, 0) AS "SharedBlksHitRatio",
                   shared_blks_read::bigint AS "SharedBlksRead", temp_blks::bigint AS "TempBlks",
                   previous_mean_ms AS "PreviousMeanTimeMs", coalesce(previous_calls, 0)::bigint AS "PreviousCalls",
                   coalesce(previous_time_ms, 0) AS "PreviousTimeMs", is_new AS "IsNew",
                   mean_time_ms >= @SlowMeanMs AND calls >= @SlowMinCalls AS "IsSlow",
                   coalesce(mean_time_ms >= previous_mean_ms * @Regression, false) AS "IsRegressed",
                   -- calls a minute over the span the target was watched in the window (a 24-hour window of a target
                   -- watched for an hour is that hour's rate, as the 1-hour window gives it)
                   mean_time_ms <= @NPlusOneMaxMeanMs AND rows / calls <= 1.5
                       AND calls / greatest(extract(epoch FROM @To - greatest(@From, coalesce((SELECT at FROM baseline), @From))) / 60, 1)
                           >= @NPlusOneMinCallsPerMinute AS "IsNPlusOneSuspect"
            FROM flagged
        )
        """;

    private const string TopSql = WindowSql + """
        SELECT *, count(*) OVER ()::int AS "Count", sum("TotalTimeMs") OVER () AS "AllTimeMs"
        FROM rows
        WHERE NOT @FlaggedOnly OR "IsSlow" OR "IsRegressed" OR "IsNPlusOneSuspect"
        ORDER BY {order}
        OFFSET @Offset LIMIT @Limit
        """;
}
