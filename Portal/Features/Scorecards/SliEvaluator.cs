using Dapper;
using Npgsql;
using Portal.Features.Cache;
using Portal.Features.Prometheus;
using Portal.Features.Queries;

namespace Portal.Features.Scorecards;

/// <summary>
/// Reads an objective's source for a run of 5-minute intervals and gives one sample per interval with events (see
/// <see cref="SliSample"/>): Prometheus with one range query, the portal's tables with one statement.
/// </summary>
public sealed class SliEvaluator(PrometheusClient prometheus, QueryStatistics queries, NpgsqlDataSource portal)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    /// <summary>The samples of the intervals ending after <paramref name="from"/> and at or before <paramref name="to"/> (both on interval boundaries).</summary>
    public Task<IReadOnlyList<SliSample>> EvaluateAsync(SliSpec sli, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) => sli.Kind switch
    {
        SliKinds.Latency => LatencyAsync(sli, from, to, cancellationToken),
        // Each good expression falls back on a zero (or the total, for total − bad) so that it exists whenever the total does.
        SliKinds.Errors => RatioAsync(Interval.TotalSeconds, $"(({sli.Total}) - ({sli.Bad})) or ({sli.Total})", sli.Total!, errorRate: true, from, to, cancellationToken),
        SliKinds.Availability => RatioAsync(1, Uptime(sli.Up!), $"{Uptime(sli.Up!)} * 0 + 1", errorRate: false, from, to, cancellationToken),
        SliKinds.Cache when sli.Category is { } category => RatioAsync(1,
            $"({CacheLookups(category, hitsOnly: true)}) or ({CacheLookups(category, hitsOnly: false)} * 0)", CacheLookups(category, hitsOnly: false),
            errorRate: false, from, to, cancellationToken),
        SliKinds.Cache => RedisAsync(sli.Redis!, from, to, cancellationToken),
        SliKinds.Query => QueryAsync(sli, from, to, cancellationToken),
        SliKinds.Vitals => VitalsAsync(sli, from, to, cancellationToken),
        SliKinds.Job => JobsAsync(sli.Job!, from, to, cancellationToken),
        _ => throw new ArgumentException($"Unknown SLI kind '{sli.Kind}'.", nameof(sli)),
    };

    /// <summary>
    /// Absence is not health: the end of the last interval a Prometheus SLI had a series for, when the intervals
    /// evaluated since answered no series at all (an interval without events but with its series is a sample of zero
    /// events, not this); null while its series are there, for other sources, before a successful evaluation, and for
    /// an SLI that never had a series (no data, with nothing to date).
    /// </summary>
    public static DateTimeOffset? NoSeriesSince(SliSpec sli, SliEvaluationState? state) =>
        SliKinds.ReadsPrometheus(sli) && state is { LastError: null, LastSampleAt: { } last } && state.EvaluatedThrough - last >= Interval ? last : null;

    /// <summary>The PromQL behind a Prometheus SLI, for the explorer link (null for other sources).</summary>
    public static string? PromQl(SliSpec sli) => sli.Kind switch
    {
        SliKinds.Latency => LatencyQuery(sli),
        SliKinds.Errors => $"({sli.Bad}) / ({sli.Total})",
        SliKinds.Availability => sli.Up,
        SliKinds.Cache when sli.Category is { } category => $"{CacheLookups(category, hitsOnly: true)} / {CacheLookups(category, hitsOnly: false)}",
        _ => null,
    };

    // Ten points, 30 s apart, ending at the interval's end: 299 s so that the interval's start (the previous one's last
    // point) is not among them, whether a range includes its start (Prometheus 2) or not (Prometheus 3).
    private static string Uptime(string up) => $"avg(avg_over_time(({up})[299s:30s]))";

    // A lookup the cache answered from any tier is a hit; "computed" means every tier missed.
    private static string CacheLookups(string category, bool hitsOnly) => CacheStatistics.LookupsQuery("5m", hitsOnly, category);

    private static string LatencyQuery(SliSpec sli)
    {
        var matchers = string.Join(", ", sli.Matchers.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}=\"{Escape(pair.Value)}\""));
        return $"sum by (le) (increase({sli.Metric}_bucket{{{matchers}}}[5m]))";
    }

    // Each step's buckets: good = requests under the threshold, total = +Inf.
    private async Task<IReadOnlyList<SliSample>> LatencyAsync(SliSpec sli, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var answer = await prometheus.QueryRangeAsync(LatencyQuery(sli), from + Interval, to, Interval, cancellationToken: cancellationToken);
        var buckets = answer.Result.Series
            .Select(series => (Le: PrometheusResult.ParseValue(series.Labels.GetValueOrDefault("le", "NaN")), series.Samples))
            .Where(series => !double.IsNaN(series.Le))
            .OrderBy(series => series.Le)
            .ToList();
        if (buckets.Count < 2 || !double.IsPositiveInfinity(buckets[^1].Le))
        {
            return [];
        }
        var le = buckets.Select(bucket => bucket.Le).ToArray();
        var headline = SliFigures.Headline(sli);
        var threshold = (sli.Threshold ?? double.PositiveInfinity) / 1000;
        return buckets.SelectMany(bucket => bucket.Samples.Select(sample => sample.Timestamp)).Distinct().Order()
            .Select(at =>
            {
                var counts = buckets.Select(bucket => bucket.Samples.FirstOrDefault(sample => sample.Timestamp == at)?.Value is { } value && double.IsFinite(value) ? value : 0).ToArray();
                var total = counts[^1];
                var good = Math.Min(CountBelow(threshold, le, counts), total);
                var value = headline.Unit == "ms" ? SliFigures.HistogramQuantile(SliFigures.Quantile(headline.Name), le, counts) * 1000 : good / total;
                return new SliSample(at, good, total) { Value = total > 0 ? value : null, Weight = total, Le = le, Counts = counts };
            })
            .ToList();
    }

    /// <summary>
    /// Observations at or under <paramref name="threshold"/> (seconds) from cumulative bucket counts: exact on a bucket
    /// bound, interpolated linearly inside a bucket (what <c>histogram_quantile</c> assumes of a bucket).
    /// </summary>
    public static double CountBelow(double threshold, IReadOnlyList<double> le, IReadOnlyList<double> counts)
    {
        if (double.IsPositiveInfinity(threshold))
        {
            return counts[^1];
        }
        var upper = 0;
        while (le[upper] < threshold)
        {
            upper++; // the last bound is +Inf: this stops
        }
        if (double.IsPositiveInfinity(le[upper]))
        {
            return upper > 0 ? counts[upper - 1] : 0; // past the last finite bound, only what is under it is known
        }
        var (lowerBound, lowerCount) = upper > 0 ? (le[upper - 1], counts[upper - 1]) : (0.0, 0.0);
        return lowerCount + (counts[upper] - lowerCount) * (threshold - lowerBound) / (le[upper] - lowerBound);
    }

    // good and total as two expressions evaluated at every step, scaled to events (a rate per second times 300).
    private async Task<IReadOnlyList<SliSample>> RatioAsync(
        double scale, string good, string total, bool errorRate, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var totals = await SeriesAsync(total, from, to, cancellationToken);
        var goods = await SeriesAsync(good, from, to, cancellationToken);
        // An interval whose total is there and zero had no events (a quiet night): kept, as an empty sample, so that
        // it is told apart from an interval whose series was not there at all (no data: see NoSeriesSince).
        return totals
            .Where(pair => double.IsFinite(pair.Value) && (pair.Value == 0 || (pair.Value > 0 && goods.ContainsKey(pair.Key))))
            .Select(pair =>
            {
                if (pair.Value == 0)
                {
                    return new SliSample(pair.Key, 0, 0) { Weight = 0 };
                }
                var share = Math.Clamp(goods[pair.Key], 0, pair.Value) / pair.Value;
                return new SliSample(pair.Key, share * pair.Value * scale, pair.Value * scale) { Value = errorRate ? 1 - share : share, Weight = pair.Value * scale };
            })
            .ToList();
    }

    private async Task<Dictionary<DateTimeOffset, double>> SeriesAsync(string query, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var answer = await prometheus.QueryRangeAsync(query, from + Interval, to, Interval, cancellationToken: cancellationToken);
        return answer.Result.Series.Count == 0 ? [] : answer.Result.Series[0].Samples.ToDictionary(sample => sample.Timestamp, sample => sample.Value);
    }

    // The counters' difference between the last readings at or before each interval's ends; a restart (counters going
    // down) leaves the interval without data.
    private async Task<IReadOnlyList<SliSample>> RedisAsync(string name, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        var readings = (await connection.QueryAsync<(DateTime At, long Hits, long Misses)>(new CommandDefinition(
            "SELECT at, keyspace_hits, keyspace_misses FROM redis_samples WHERE name = @name AND at > @start AND at <= @to ORDER BY at",
            new { name, start = from - Interval, to }, cancellationToken: cancellationToken))).AsList();
        var samples = new List<SliSample>();
        for (var end = from + Interval; end <= to; end += Interval)
        {
            var last = readings.LastOrDefault(reading => reading.At <= end.UtcDateTime);
            var first = readings.LastOrDefault(reading => reading.At <= (end - Interval).UtcDateTime);
            if (last == default || first == default || last.At == first.At)
            {
                continue;
            }
            var (hits, misses) = (last.Hits - first.Hits, last.Misses - first.Misses);
            if (hits >= 0 && misses >= 0 && hits + misses > 0)
            {
                samples.Add(new SliSample(end, hits, hits + misses) { Value = (double)hits / (hits + misses), Weight = hits + misses });
            }
        }
        return samples;
    }

    // pg_stat_statements has no percentiles: the call-weighted mean of the statements' snapshot intervals that end in
    // each 5-minute interval; the interval is good when that mean is under the threshold.
    private async Task<IReadOnlyList<SliSample>> QueryAsync(SliSpec sli, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var intervals = await queries.SeriesAsync(sli.Target!, new StatementFilter(sli.Database, sli.Pattern, sli.QueryId),
            from + SnapshotLateness, to + SnapshotLateness, cancellationToken);
        return intervals
            .GroupBy(interval => Closes(interval.At))
            .Select(group => (At: group.Key, Calls: group.Sum(interval => interval.Calls), TimeMs: group.Sum(interval => interval.TimeMs)))
            .Where(interval => interval.Calls > 0 && interval.At > from && interval.At <= to)
            .Select(interval =>
            {
                var mean = interval.TimeMs / interval.Calls;
                return new SliSample(interval.At, mean < sli.Threshold ? 1 : 0, 1) { Value = mean, Weight = interval.Calls };
            })
            .ToList();
    }

    // A snapshot taken at 10:05:02 closes the interval ending at 10:05 (snapshots run on the same 5-minute marks, a
    // little late); one taken at 10:03 the interval ending at 10:05. Evaluation lags the clock by more than this.
    public static readonly TimeSpan SnapshotLateness = TimeSpan.FromMinutes(1);

    private static DateTimeOffset Closes(DateTimeOffset at)
    {
        var floor = Floor(at);
        return at - floor < SnapshotLateness ? floor : floor + Interval;
    }

    public static DateTimeOffset Floor(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % Interval.Ticks, TimeSpan.Zero);

    private async Task<IReadOnlyList<SliSample>> VitalsAsync(SliSpec sli, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT date_bin('5 minutes', received_at, timestamptz 'epoch') + interval '5 minutes' AS at,
                   count(*) FILTER (WHERE value <= @threshold) AS good, count(*) AS total,
                   percentile_cont(ARRAY[0.75, 0.95, 0.99, 1]) WITHIN GROUP (ORDER BY value) AS percentiles
            FROM vitals_events
            WHERE app = @App AND metric = @Metric AND received_at >= @from AND received_at < @to
              AND (@Page::text IS NULL OR page = @Page) AND (@Device::text IS NULL OR device = @Device)
            GROUP BY 1 ORDER BY 1
            """;
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(DateTime At, long Good, long Total, double[] Percentiles)>(new CommandDefinition(sql,
            new { sli.App, sli.Metric, sli.Page, sli.Device, threshold = sli.Threshold ?? double.PositiveInfinity, from, to }, cancellationToken: cancellationToken));
        var headline = SliFigures.VitalsPercentiles.Select(percentile => percentile.Name).ToList().IndexOf(SliFigures.Headline(sli).Name);
        return rows.Select(row => new SliSample(new DateTimeOffset(row.At, TimeSpan.Zero), row.Good, row.Total)
        {
            Value = row.Percentiles[headline], Weight = row.Total, Percentiles = row.Percentiles,
        }).ToList();
    }

    // At each interval's end, each job (not paused) is fresh when it succeeded within its freshness objective, or is
    // younger than its objective (a job added at 10:00 with a day's freshness is not stale at 10:05).
    private async Task<IReadOnlyList<SliSample>> JobsAsync(string job, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT e.at,
                   count(*) FILTER (WHERE e.at < d.registered_at + make_interval(secs => d.freshness_seconds) OR EXISTS (
                       SELECT 1 FROM job_runs r
                       WHERE r.job_id = d.id AND r.outcome = 'succeeded'
                         AND r.finished_at <= e.at AND r.finished_at > e.at - make_interval(secs => d.freshness_seconds))) AS good,
                   count(*) AS total
            FROM generate_series(@first, @to, interval '5 minutes') AS e(at)
            JOIN job_definitions d ON (@job = '*' OR d.id = @job) AND NOT d.paused AND d.registered_at <= e.at
            GROUP BY e.at ORDER BY e.at
            """;
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(DateTime At, long Good, long Total)>(new CommandDefinition(sql,
            new { job, first = from + Interval, to }, cancellationToken: cancellationToken));
        return rows.Select(row => new SliSample(new DateTimeOffset(row.At, TimeSpan.Zero), row.Good, row.Total)
        {
            Value = (double)row.Good / row.Total, Weight = row.Total,
        }).ToList();
    }

    private static string Escape(string value) => value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
