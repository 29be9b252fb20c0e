using Portal.Features.Cache;
using Portal.Features.Jobs;
using Portal.Features.Lab;
using Portal.Features.Prometheus;
using Portal.Features.Queries;
using Portal.Features.Vitals;

namespace Portal.Features.Scorecards;

/// <summary>
/// Reads an objective's source for a run of 5-minute intervals and gives one sample per interval with events (see
/// <see cref="SliSample"/>): Prometheus with one range query, the portal's own sources through the features that own them.
/// </summary>
public sealed class SliEvaluator(PrometheusClient prometheus, QueryStatistics queries, VitalsStore vitals, RedisSamples redisSamples, JobRunStore jobs, LabResults lab)
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
        SliKinds.Lighthouse => LighthouseAsync(sli, from, to, cancellationToken),
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

    // Each interval's hits and misses by the Cache feature's rule (a restart of Redis leaves the interval without data).
    private async Task<IReadOnlyList<SliSample>> RedisAsync(string name, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var instants = new List<DateTimeOffset>();
        for (var at = from; at <= to; at += Interval)
        {
            instants.Add(at);
        }
        var lookups = await redisSamples.LookupsBetweenAsync(name, instants, cancellationToken);
        return lookups.Select((interval, i) => (End: instants[i + 1], Lookups: interval))
            .Where(interval => interval.Lookups is not null)
            .Select(interval => new SliSample(interval.End, interval.Lookups!.Hits, interval.Lookups.Lookups)
            {
                Value = interval.Lookups.HitRatio, Weight = interval.Lookups.Lookups,
            })
            .ToList();
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

    // Each 5-minute interval's page views: good ones (at or under the threshold), all, and the percentiles the figures read.
    private async Task<IReadOnlyList<SliSample>> VitalsAsync(SliSpec sli, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var bins = await vitals.BinsAsync(new VitalsSlice(sli.App!, sli.Metric!, sli.Page, sli.Device), sli.Threshold ?? double.PositiveInfinity,
            [.. SliFigures.VitalsPercentiles.Select(percentile => percentile.Quantile)], Interval, from, to, cancellationToken);
        var headline = SliFigures.VitalsPercentiles.Select(percentile => percentile.Name).ToList().IndexOf(SliFigures.Headline(sli).Name);
        return bins.Select(bin => new SliSample(bin.End, bin.Good, bin.Total)
        {
            Value = bin.Quantiles[headline], Weight = bin.Total, Percentiles = bin.Quantiles,
        }).ToList();
    }

    // At each interval's end, the share of jobs (not paused, registered by then) that are fresh, by the Jobs feature's rule.
    private async Task<IReadOnlyList<SliSample>> JobsAsync(string job, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var ends = new List<DateTimeOffset>();
        for (var end = from + Interval; end <= to; end += Interval)
        {
            ends.Add(end);
        }
        return (await jobs.FreshnessAtAsync(ends, cancellationToken))
            .Where(each => job == "*" || each.Definition.Id == job)
            .GroupBy(each => each.At)
            .Select(interval =>
            {
                var (good, total) = (interval.Count(each => each.Freshness.Fresh), interval.Count());
                return new SliSample(interval.Key, good, total) { Value = (double)good / total, Weight = total };
            })
            .ToList();
    }

    // The Lighthouse runs of the service's pages (one page's, one profile's when named) that ended in each interval:
    // good when the category scored at least the SLI's score; the value is their mean score (0–100).
    private async Task<IReadOnlyList<SliSample>> LighthouseAsync(SliSpec sli, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        (await lab.LighthouseRunsAsync(from, to + TimeSpan.FromTicks(1), sli.Service, cancellationToken))
            .Where(run => (sli.Page is null || run.Page == sli.Page) && (sli.Profile is null || run.Result.Profile == sli.Profile))
            .Select(run => (At: run.Result.FetchedAt, Points: LighthouseResult.Points(run.Result.Score(sli.Category!))))
            .Where(run => run.Points is not null && run.At > from)
            .GroupBy(run => Floor(run.At) == run.At ? run.At : Floor(run.At) + Interval)
            .OrderBy(interval => interval.Key)
            .Select(interval => new SliSample(interval.Key, interval.Count(run => run.Points >= sli.Threshold), interval.Count())
            {
                Value = interval.Average(run => (double)run.Points!.Value), Weight = interval.Count(),
            })
            .ToList();

    private static string Escape(string value) => value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
