using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Data;

namespace Portal.Features.Vitals;

/// <summary>One metric over a window: how many samples, the p75 and the share of each rating.</summary>
public sealed record MetricSummary
{
    public string Name { get; init; } = "";
    public long Count { get; init; }
    public double P75 { get; init; }
    public double GoodShare { get; init; }
    public double NeedsImprovementShare { get; init; }
    public double PoorShare { get; init; }
}

/// <summary>A page's p75 per metric over a window, with its sample counts.</summary>
public sealed record PageSummary(string Page, long Samples, IReadOnlyDictionary<string, PageMetric> Metrics);

/// <summary>A page's p75 of one metric over a window, and its samples.</summary>
public sealed record PageMetric(double P75, long Count);

/// <summary>A bar of a histogram: values from <see cref="From"/> up to <see cref="To"/>.</summary>
public sealed record HistogramBar(double From, double To, long Count);

/// <summary>A group's p75 and samples (a device class, a release, an attribution target).</summary>
public sealed record GroupP75
{
    public string Group { get; init; } = "";
    public double P75 { get; init; }
    public long Count { get; init; }
    public DateTimeOffset? FirstSeen { get; init; }

    /// <summary>The group's share of all the samples (attribution targets: how often it was the one behind the value).</summary>
    public double? Share { get; init; }
}

/// <summary>One page and metric over a window, from raw events.</summary>
public sealed record PageDetail(
    IReadOnlyList<HistogramBar> Histogram, IReadOnlyList<GroupP75> Targets, IReadOnlyList<GroupP75> Devices, IReadOnlyList<GroupP75> Releases);

/// <summary>A day of a metric's trend.</summary>
public sealed record TrendPoint
{
    public DateTime Day { get; init; }
    public string Metric { get; init; } = "";
    public double P75 { get; init; }
    public long Count { get; init; }
}

/// <summary>Which events an SLI reads: an app's metric, on one page and device class or all (null).</summary>
public sealed record VitalsSlice(string App, string Metric, string? Page = null, string? Device = null);

/// <summary>The events of a bin: how many at or under a threshold, how many in all, and their quantiles (in the order asked).</summary>
public sealed record VitalsBin(DateTimeOffset End, long Good, long Total, double[] Quantiles);

/// <summary>A page's (or with page <see cref="VitalsStore.All"/>, an app's) p75 of a metric and its views.</summary>
public sealed record PageFigure(string App, string Page, string Metric, long Count, double P75);

/// <summary>
/// Raw events (partitioned by UTC day) and their daily rollups. A window within the last day is computed from raw
/// events, exactly; a longer one from the rollups of its whole days, where a p75 is the sample-weighted mean of the
/// days' p75s (exact per day; shares and counts exact).
/// </summary>
public sealed class VitalsStore(NpgsqlDataSource dataSource, IOptions<VitalsOptions> options, TimeProvider time) : ISchemaInstaller
{
    /// <summary>The rollups' "all pages" and "all devices" rows.</summary>
    public const string All = "*";

    // Partitions from yesterday to a week ahead; rows a missing day left in the default partition move into its new
    // partition; partitions past the retention are dropped. Under a lock: the web process and the job may overlap.
    private string PartitionsSql => $$"""
        DO $$
        DECLARE
            today date := (now() AT TIME ZONE 'UTC')::date;
            d date;
            part text;
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtext('portal:vitals-partitions'));
            CREATE TEMP TABLE IF NOT EXISTS vitals_moved (LIKE vitals_events) ON COMMIT DROP;
            FOR d IN SELECT generate_series(today - 1, today + 7, interval '1 day')::date LOOP
                part := 'vitals_events_' || to_char(d, 'YYYYMMDD');
                IF to_regclass(part) IS NULL THEN
                    WITH moved AS (
                        DELETE FROM vitals_events_default
                        WHERE received_at >= d::timestamp AT TIME ZONE 'UTC' AND received_at < (d + 1)::timestamp AT TIME ZONE 'UTC'
                        RETURNING *)
                    INSERT INTO vitals_moved SELECT * FROM moved;
                    EXECUTE format('CREATE TABLE %I PARTITION OF vitals_events FOR VALUES FROM (%L) TO (%L)',
                        part, d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
                    INSERT INTO vitals_events SELECT * FROM vitals_moved;
                    DELETE FROM vitals_moved;
                END IF;
            END LOOP;
            FOR part IN
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'vitals_events'::regclass AND c.relname ~ '^vitals_events_[0-9]{8}$'
                  AND to_date(right(c.relname, 8), 'YYYYMMDD') < today - {{options.Value.RetentionDays}}
            LOOP
                EXECUTE format('DROP TABLE %I', part);
            END LOOP;
            DELETE FROM vitals_events_default WHERE received_at < (today - {{options.Value.RetentionDays}})::timestamp AT TIME ZONE 'UTC';
        END $$;
        """;

    /// <summary>At start-up, under the migration lock: today's partitions exist before the first event arrives.</summary>
    public void Install(NpgsqlConnection connection) => connection.Execute(PartitionsSql);

    public async Task MaintainPartitionsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(PartitionsSql, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Rolls up one UTC day, replacing what was there: rerunning a day gives the same rows. An INP or CLS instance
    /// stored twice (a race between replicas) keeps its highest-numbered copy first.
    /// </summary>
    public async Task<int> RollUpAsync(DateOnly day, CancellationToken cancellationToken = default)
    {
        var from = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Two replicas' writers can each store a copy of one INP or CLS instance when its sends reach both at the same
        // moment (each writer keeps one per instance only against what is committed): lower copies of the day's instances
        // (and of the two days before, which the nightly job rolls up again) go first.
        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM vitals_events e
            USING (SELECT tableoid, ctid, row_number() OVER (PARTITION BY app, event_id, metric ORDER BY report DESC, received_at DESC) AS n
                   FROM vitals_events
                   WHERE metric IN ('INP', 'CLS') AND received_at >= @since AND received_at < @to) copies
            WHERE copies.n > 1 AND e.tableoid = copies.tableoid AND e.ctid = copies.ctid AND e.received_at >= @since AND e.received_at < @to
            """, new { since = from.AddDays(-2), to = from.AddDays(1) }, transaction, cancellationToken: cancellationToken, commandTimeout: 600));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM vitals_daily WHERE day = @day", new { day = day.ToDateTime(TimeOnly.MinValue) }, transaction, cancellationToken: cancellationToken));
        var rows = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO vitals_daily (app, day, page, metric, device, count, p50, p75, p95, good, needs_improvement, poor)
            SELECT app, @day, coalesce(page, '*'), metric, coalesce(device, '*'), count(*),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY value),
                   percentile_cont(0.75) WITHIN GROUP (ORDER BY value),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY value),
                   count(*) FILTER (WHERE rating = 'good'), count(*) FILTER (WHERE rating = 'needs-improvement'), count(*) FILTER (WHERE rating = 'poor')
            FROM vitals_events
            WHERE received_at >= @from AND received_at < @to
            GROUP BY GROUPING SETS ((app, metric, page, device), (app, metric, page), (app, metric, device), (app, metric))
            """, new { day = day.ToDateTime(TimeOnly.MinValue), from, to = from.AddDays(1) }, transaction, cancellationToken: cancellationToken, commandTimeout: 600));
        await transaction.CommitAsync(cancellationToken);
        return rows;
    }

    /// <summary>Whether a window is computed from raw events (within the last day) or from rollups.</summary>
    public bool IsLive(DateTimeOffset from, DateTimeOffset to) => to - from <= TimeSpan.FromDays(1) && from >= time.GetUtcNow().AddDays(-2);

    public async Task<IReadOnlyList<MetricSummary>> SummaryAsync(string app, DateTimeOffset from, DateTimeOffset to, string? page = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var sql = IsLive(from, to)
            ? """
              SELECT metric AS "Name", count(*) AS "Count", percentile_cont(0.75) WITHIN GROUP (ORDER BY value) AS "P75",
                     count(*) FILTER (WHERE rating = 'good')::float8 / count(*) AS "GoodShare",
                     count(*) FILTER (WHERE rating = 'needs-improvement')::float8 / count(*) AS "NeedsImprovementShare",
                     count(*) FILTER (WHERE rating = 'poor')::float8 / count(*) AS "PoorShare"
              FROM vitals_events
              WHERE app = @app AND received_at >= @from AND received_at < @to AND (@page::text IS NULL OR page = @page)
              GROUP BY metric
              """
            : """
              SELECT metric AS "Name", sum(count)::bigint AS "Count", sum(count * p75) / sum(count) AS "P75",
                     sum(good)::float8 / sum(count) AS "GoodShare", sum(needs_improvement)::float8 / sum(count) AS "NeedsImprovementShare",
                     sum(poor)::float8 / sum(count) AS "PoorShare"
              FROM vitals_daily
              WHERE app = @app AND day >= @fromDay AND day < @toDay AND page = coalesce(@page, '*') AND device = '*'
              GROUP BY metric
              """;
        var rows = (await connection.QueryAsync<MetricSummary>(new CommandDefinition(sql, Window(app, from, to, page), cancellationToken: cancellationToken)))
            .ToDictionary(row => row.Name);
        return VitalsMetric.All.Select(metric => rows.GetValueOrDefault(metric.Name) ?? new MetricSummary { Name = metric.Name }).ToList();
    }

    /// <summary>Each page's p75 per metric and its samples over the window, busiest first.</summary>
    public async Task<IReadOnlyList<PageSummary>> PagesAsync(string app, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var sql = IsLive(from, to)
            ? """
              SELECT page AS "Page", metric AS "Metric", count(*) AS "Count", percentile_cont(0.75) WITHIN GROUP (ORDER BY value) AS "P75"
              FROM vitals_events WHERE app = @app AND received_at >= @from AND received_at < @to
              GROUP BY page, metric
              """
            : """
              SELECT page AS "Page", metric AS "Metric", sum(count)::bigint AS "Count", sum(count * p75) / sum(count) AS "P75"
              FROM vitals_daily WHERE app = @app AND day >= @fromDay AND day < @toDay AND page <> '*' AND device = '*'
              GROUP BY page, metric
              """;
        var rows = await connection.QueryAsync<(string Page, string Metric, long Count, double P75)>(new CommandDefinition(sql, Window(app, from, to, null), cancellationToken: cancellationToken));
        return rows.GroupBy(row => row.Page)
            .Select(group => new PageSummary(group.Key, group.Sum(row => row.Count), group.ToDictionary(row => row.Metric, row => new PageMetric(row.P75, row.Count))))
            .OrderByDescending(page => page.Samples)
            .ToList();
    }

    /// <summary>Daily p75 of each metric for the last <paramref name="days"/> days, today's from raw events.</summary>
    public async Task<IReadOnlyList<TrendPoint>> TrendAsync(string app, int days, CancellationToken cancellationToken = default)
    {
        var today = Day(time.GetUtcNow());
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<TrendPoint>(new CommandDefinition("""
            SELECT day AS "Day", metric AS "Metric", p75 AS "P75", count AS "Count"
            FROM vitals_daily WHERE app = @app AND day >= @first AND day < @today AND page = '*' AND device = '*'
            UNION ALL
            SELECT @today, metric, percentile_cont(0.75) WITHIN GROUP (ORDER BY value), count(*)
            FROM vitals_events WHERE app = @app AND received_at >= @todayStart
            GROUP BY metric
            ORDER BY 1
            """, new { app, today, todayStart = new DateTimeOffset(today, TimeSpan.Zero), first = today.AddDays(1 - days) }, cancellationToken: cancellationToken))).AsList();
    }

    // ---- reads for the scorecards and the report (raw events: exact percentiles over any span within the retention)

    /// <summary>
    /// The events of a slice per bin of <paramref name="bin"/> (dated by the bin's end) from <paramref name="from"/> to
    /// <paramref name="to"/>: those at or under <paramref name="threshold"/>, all, and the given quantiles of their values.
    /// </summary>
    public async Task<IReadOnlyList<VitalsBin>> BinsAsync(VitalsSlice slice, double threshold, IReadOnlyList<double> quantiles, TimeSpan bin,
        DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT date_bin(@bin, received_at, timestamptz 'epoch') + @bin AS "End",
                   count(*) FILTER (WHERE value <= @threshold) AS "Good", count(*) AS "Total",
                   percentile_cont(@quantiles) WITHIN GROUP (ORDER BY value) AS "Quantiles"
            FROM vitals_events
            WHERE app = @App AND metric = @Metric AND received_at >= @from AND received_at < @to
              AND (@Page::text IS NULL OR page = @Page) AND (@Device::text IS NULL OR device = @Device)
            GROUP BY 1 ORDER BY 1
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(DateTime End, long Good, long Total, double[] Quantiles)>(new CommandDefinition(sql,
            new { slice.App, slice.Metric, slice.Page, slice.Device, threshold, quantiles = quantiles.ToArray(), bin, from, to }, cancellationToken: cancellationToken));
        return rows.Select(row => new VitalsBin(new DateTimeOffset(row.End, TimeSpan.Zero), row.Good, row.Total, row.Quantiles)).ToList();
    }

    /// <summary>A quantile of one metric over every page view of the apps between two instants, and how many there were.</summary>
    public async Task<(double? Value, long Count)> QuantileAsync(IReadOnlyList<string> apps, string metric, double quantile, DateTimeOffset from, DateTimeOffset to,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<(double?, long)>(new CommandDefinition("""
            SELECT percentile_cont(@quantile) WITHIN GROUP (ORDER BY value), count(*)
            FROM vitals_events WHERE app = ANY(@apps) AND metric = @metric AND received_at >= @from AND received_at < @to
            """, new { apps = apps.ToArray(), metric, quantile, from, to }, cancellationToken: cancellationToken));
    }

    /// <summary>The same quantile per local day of <paramref name="timeZone"/>, each day dated by its start (UTC).</summary>
    public async Task<IReadOnlyList<(DateTimeOffset Day, double Value)>> DailyQuantileAsync(IReadOnlyList<string> apps, string metric, double quantile,
        DateTimeOffset from, DateTimeOffset to, string timeZone, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(DateTime Day, double Value)>(new CommandDefinition("""
            SELECT date_trunc('day', received_at AT TIME ZONE @timeZone), percentile_cont(@quantile) WITHIN GROUP (ORDER BY value)
            FROM vitals_events WHERE app = ANY(@apps) AND metric = @metric AND received_at >= @from AND received_at < @to
            GROUP BY 1 ORDER BY 1
            """, new { apps = apps.ToArray(), metric, quantile, from, to, timeZone }, cancellationToken: cancellationToken));
        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        return rows.Select(row => (new DateTimeOffset(row.Day, zone.GetUtcOffset(row.Day)).ToUniversalTime(), row.Value)).ToList();
    }

    /// <summary>Each page's p75 and views per metric between two instants, and each app's over all its pages (page <see cref="All"/>).</summary>
    public async Task<IReadOnlyList<PageFigure>> PageFiguresAsync(IReadOnlyList<string> apps, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<PageFigure>(new CommandDefinition("""
            SELECT app AS "App", coalesce(page, @all) AS "Page", metric AS "Metric", count(*) AS "Count", percentile_cont(0.75) WITHIN GROUP (ORDER BY value) AS "P75"
            FROM vitals_events WHERE app = ANY(@apps) AND received_at >= @from AND received_at < @to
            GROUP BY GROUPING SETS ((app, page, metric), (app, metric))
            """, new { apps = apps.ToArray(), from, to, all = All }, cancellationToken: cancellationToken))).AsList();
    }

    // Rollup days of a window: every UTC day it touches (today has no rollup yet, so it adds nothing).
    public const int HistogramBars = 20;

    /// <summary>
    /// A page's distribution (20 bars up to its 99th percentile, the rest in the last), its most frequent attribution
    /// targets, and its p75 by device class and by release (newest first).
    /// </summary>
    public async Task<PageDetail> PageDetailAsync(string app, string page, string metric, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        // One statement over one scan of the page's events of the metric in the window.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<(double? Top, string Bars, string Targets, string Devices, string Releases)>(new CommandDefinition("""
            WITH scoped AS MATERIALIZED (
                SELECT value, device, release, received_at, attribution FROM vitals_events
                WHERE app = @app AND page = @page AND metric = @metric AND received_at >= @from AND received_at < @to),
            top AS (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY value) AS upper FROM scoped)
            SELECT (SELECT upper FROM top),
                   (SELECT coalesce(json_agg(x), '[]') FROM (
                       SELECT least(floor(value / (top.upper / @bars))::int, @bars - 1) AS "Bar", count(*) AS "Count"
                       FROM scoped, top WHERE top.upper > 0 GROUP BY 1) x),
                   (SELECT coalesce(json_agg(x), '[]') FROM (
                       SELECT coalesce(attribution::json ->> 'target', '(unknown)') AS "Group", percentile_cont(0.75) WITHIN GROUP (ORDER BY value) AS "P75",
                              count(*) AS "Count", count(*)::float8 / sum(count(*)) OVER () AS "Share"
                       FROM scoped GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 10) x),
                   (SELECT coalesce(json_agg(x), '[]') FROM (
                       SELECT device AS "Group", percentile_cont(0.75) WITHIN GROUP (ORDER BY value) AS "P75", count(*) AS "Count"
                       FROM scoped GROUP BY 1 ORDER BY 1) x),
                   (SELECT coalesce(json_agg(x), '[]') FROM (
                       SELECT coalesce(release, '(none)') AS "Group", percentile_cont(0.75) WITHIN GROUP (ORDER BY value) AS "P75", count(*) AS "Count",
                              min(received_at) AS "FirstSeen"
                       FROM scoped GROUP BY 1 ORDER BY min(received_at) DESC LIMIT 6) x)
            """, new { app, page, metric, from, to, bars = HistogramBars }, cancellationToken: cancellationToken));
        var histogram = new List<HistogramBar>();
        if (row.Top is > 0 and var upper)
        {
            var width = upper / HistogramBars;
            var counts = JsonSerializer.Deserialize<List<BarCount>>(row.Bars)!.ToDictionary(bar => bar.Bar, bar => bar.Count);
            histogram.AddRange(Enumerable.Range(0, HistogramBars).Select(bar => new HistogramBar(bar * width, (bar + 1) * width, counts.GetValueOrDefault(bar))));
        }
        return new PageDetail(histogram, Groups(row.Targets), Groups(row.Devices), Groups(row.Releases));
    }

    private sealed record BarCount(int Bar, long Count);

    private static List<GroupP75> Groups(string json) => JsonSerializer.Deserialize<List<GroupP75>>(json)!;

    /// <summary>
    /// Why a page is slow over a window, from raw events (<see cref="VitalsDiagnosis"/>): LCP and INP at p75 by part,
    /// the scripts of the long frames behind its interactions, and each Server-Timing metric at p75 beside TTFB.
    /// </summary>
    public async Task<PageDiagnostics> DiagnosticsAsync(string app, string page, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        // One statement, one scan of the page's events in the window (as long as the page's other reads together).
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<(string? Lcp, string? Inp, string Scripts, string Timings, double? Ttfb, long TtfbViews)>(new CommandDefinition($"""
            WITH scoped AS MATERIALIZED (
                SELECT metric, value, event_id, attribution::jsonb AS a FROM vitals_events
                WHERE app = @app AND page = @page AND received_at >= @from AND received_at < @to AND metric IN ('LCP', 'INP', 'TTFB')),
            {BreakdownCtes("LCP")},
            {BreakdownCtes("INP")}
            SELECT ({BreakdownSelect("LCP")}), ({BreakdownSelect("INP")}),
                   (SELECT coalesce(json_agg(x), '[]') FROM (
                       SELECT s ->> 'url' AS "Url", s ->> 'fn' AS "Function", s ->> 'invoker' AS "Invoker", count(DISTINCT e.event_id) AS "Interactions",
                              count(DISTINCT e.event_id)::float8 / (SELECT count(*) FROM scoped WHERE metric = 'INP') AS "Share",
                              percentile_cont(0.5) WITHIN GROUP (ORDER BY (s ->> 'duration')::float8) AS "MedianMs", sum((s ->> 'duration')::float8) AS "TotalMs"
                       FROM scoped e, jsonb_array_elements(e.a -> 'scripts') s
                       WHERE e.metric = 'INP'
                       GROUP BY 1, 2, 3 ORDER BY 4 DESC, 7 DESC LIMIT 10) x),
                   (SELECT coalesce(json_agg(x), '[]') FROM (
                       SELECT t ->> 'name' AS "Name", count(*) AS "Views", percentile_cont(0.75) WITHIN GROUP (ORDER BY (t ->> 'dur')::float8) AS "P75",
                              percentile_cont(0.75) WITHIN GROUP (ORDER BY e.value) AS "TtfbP75", mode() WITHIN GROUP (ORDER BY t ->> 'desc') AS "Description"
                       FROM scoped e, jsonb_array_elements(e.a -> 'serverTiming') t
                       WHERE e.metric = 'TTFB'
                       GROUP BY 1 ORDER BY 3 DESC NULLS LAST LIMIT 10) x),
                   (SELECT percentile_cont(0.75) WITHIN GROUP (ORDER BY value) FROM scoped WHERE metric = 'TTFB'),
                   (SELECT count(*) FROM scoped WHERE metric = 'TTFB')
            """, new { app, page, from, to }, cancellationToken: cancellationToken));
        return new PageDiagnostics(ReadBreakdown("LCP", row.Lcp), ReadBreakdown("INP", row.Inp),
            JsonSerializer.Deserialize<List<ScriptSummary>>(row.Scripts)!, JsonSerializer.Deserialize<List<ServerTimingSummary>>(row.Timings)!, row.Ttfb, row.TtfbViews);
    }

    /// <summary>One page's LCP or INP at p75 by part over a window (<see cref="VitalsDiagnosis"/>); null without parts.</summary>
    public async Task<Breakdown?> BreakdownAsync(string app, string page, string metric, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        await DiagnosticsAsync(app, page, from, to, cancellationToken) is var diagnostics && metric == "LCP" ? diagnostics.Lcp : diagnostics.Inp;

    // One metric's breakdown (VitalsDiagnosis): the views that carry its parts, their p75, the tenth nearest it (at least
    // one; ties broken by value, then id) and the mean of each part over those, with what they most often name. The
    // metric and its parts' names are the code's own constants, not input.
    private static string BreakdownCtes(string metric) => $"""
        measured_{metric} AS (SELECT * FROM scoped WHERE metric = '{metric}' AND (a ->> '{VitalsDiagnosis.PartsOf(metric)[0].Field}') IS NOT NULL),
        p_{metric} AS (SELECT percentile_cont(0.75) WITHIN GROUP (ORDER BY value) AS p75, count(*) AS n FROM measured_{metric}),
        near_{metric} AS (
            SELECT m.* FROM measured_{metric} m, p_{metric} p ORDER BY abs(m.value - p.p75), m.value, m.event_id
            LIMIT (SELECT greatest(1, n / 10) FROM p_{metric}))
        """;

    private static string BreakdownSelect(string metric) => $"""
        SELECT row_to_json(x) FROM (
            SELECT (SELECT count(*) FROM scoped WHERE metric = '{metric}') AS "Views", (SELECT n FROM p_{metric}) AS "Measured", (SELECT p75 FROM p_{metric}) AS "P75",
                   count(*) AS "Near", avg(value) AS "NearValue",
                   ARRAY[{string.Join(", ", VitalsDiagnosis.PartsOf(metric).Select(part => $"avg(coalesce((a ->> '{part.Field}')::float8, 0))"))}] AS "Parts",
                   mode() WITHIN GROUP (ORDER BY {Behind(metric)}) AS "Behind",
                   mode() WITHIN GROUP (ORDER BY a ->> 'type') AS "Type", mode() WITHIN GROUP (ORDER BY a ->> 'loadState') AS "LoadState"
            FROM near_{metric}) x
        """;

    // What the views near the p75 most often name: the LCP resource (else element), the INP's longest script (else target).
    private static string Behind(string metric) => metric == "LCP"
        ? "coalesce(a ->> 'url', a ->> 'target')"
        : "coalesce(nullif(concat_ws(' · ', a -> 'scripts' -> 0 ->> 'fn', a -> 'scripts' -> 0 ->> 'url'), ''), a ->> 'target')";

    private sealed record BreakdownRow(long Views, long Measured, double? P75, long Near, double? NearValue, double?[]? Parts, string? Behind, string? Type, string? LoadState);

    private static Breakdown? ReadBreakdown(string metric, string? json) =>
        json is null || JsonSerializer.Deserialize<BreakdownRow>(json) is not { Measured: > 0, P75: { } p75, Parts: { } parts } row
            ? null
            : new Breakdown(metric, row.Views, row.Measured, p75, row.Near, row.NearValue ?? 0,
                VitalsDiagnosis.PartsOf(metric).Zip(parts, (part, ms) => (part, ms ?? 0)).ToList(), row.Behind) { Type = row.Type, LoadState = row.LoadState };

    private static object Window(string app, DateTimeOffset from, DateTimeOffset to, string? page) => new
    {
        app, from, to, page,
        fromDay = Day(from),
        toDay = Day(to) == to.UtcDateTime ? Day(to) : Day(to).AddDays(1),
    };

    /// <summary>The UTC day of an instant, as a PostgreSQL <c>date</c>-comparable value (no time zone attached).</summary>
    public static DateTime Day(DateTimeOffset instant) => DateTime.SpecifyKind(instant.UtcDateTime.Date, DateTimeKind.Unspecified);
}
