using System.Diagnostics;
using System.Globalization;
using Portal.Components;

namespace Portal.Features.Scorecards;

/// <summary>An SLI's headline figure: what it is called, its target, its unit (<c>ms</c>, <c>ratio</c> or none) and which way is better.</summary>
public sealed record SliFigure(string Name, double? Target, string Unit, bool LowerIsBetter)
{
    public bool Meets(double value) => Target is not { } target || (LowerIsBetter ? value <= target : value >= target);

    /// <summary>A value of this figure as the pages show it: "1.2 s", "99.95 %", "0.082".</summary>
    public string Format(double? value) => Figures.Format(value, Unit);
}

/// <summary>
/// The figures of an SLI over a set of samples (an interval, a window, a day): exact where the samples allow it — a
/// latency percentile from summed bucket counts, as <c>histogram_quantile</c> over the window computes it; a query's
/// call-weighted mean; shares of good events — and, for Web Vitals over more than one interval, the page-view-weighted
/// mean of the intervals' percentiles (stated on the page).
/// </summary>
public static class SliFigures
{
    public static readonly IReadOnlyList<(string Name, double Quantile)> VitalsPercentiles = [("p75", 0.75), ("p95", 0.95), ("p99", 0.99), ("max", 1)];
    private static readonly string[] LatencyOrder = ["p95", "p99", "max"];

    public static SliFigure Headline(SliSpec sli) => sli.Kind switch
    {
        SliKinds.Latency when LatencyOrder.FirstOrDefault(sli.Targets.ContainsKey) is { } name => new(name, sli.Targets[name], "ms", true),
        SliKinds.Latency => new($"faster than {Durations.Milliseconds(sli.Threshold ?? 0)}", sli.Objective, "ratio", false),
        SliKinds.Vitals => VitalsPercentiles.Select(percentile => percentile.Name).First(sli.Targets.ContainsKey) is var name
            ? new(name, sli.Targets[name], sli.Metric == "CLS" ? "" : "ms", true) : throw new UnreachableException(),
        SliKinds.Query => new("mean time per call", sli.Threshold, "ms", true),
        SliKinds.Errors => new("error rate", 1 - sli.Objective, "ratio", true),
        SliKinds.Availability => new("uptime", sli.Objective, "ratio", false),
        SliKinds.Cache => new("hit ratio", sli.Objective, "ratio", false),
        SliKinds.Lighthouse => new($"{sli.Category} score", sli.Threshold, "", false),
        _ => new("fresh", sli.Objective, "ratio", false),
    };

    /// <summary>Every figure with a target: each percentile target of latency and vitals SLIs, else the headline.</summary>
    public static IReadOnlyList<SliFigure> All(SliSpec sli) => sli.Kind is SliKinds.Latency or SliKinds.Vitals && sli.Targets.Count > 0
        ? sli.Targets.Select(target => new SliFigure(target.Key, target.Value, Headline(sli).Unit, true)).ToList()
        : [Headline(sli)];

    /// <summary>The figure named <paramref name="figure"/> over <paramref name="samples"/>; null without events.</summary>
    public static double? Value(SliSpec sli, SliFigure figure, IReadOnlyCollection<SliSample> samples)
    {
        var counted = samples.Where(sample => sample.Total > 0).ToList();
        if (counted.Count == 0)
        {
            return null;
        }
        var goodShare = counted.Sum(sample => sample.Good) / counted.Sum(sample => sample.Total);
        switch (sli.Kind)
        {
            case SliKinds.Latency when figure.Unit == "ms":
                var bounds = counted.Last(sample => sample.Le is not null).Le!;
                var summed = new double[bounds.Length];
                foreach (var sample in counted.Where(sample => sample.Le is not null && sample.Le.SequenceEqual(bounds)))
                {
                    for (var i = 0; i < summed.Length; i++)
                    {
                        summed[i] += sample.Counts![i];
                    }
                }
                return HistogramQuantile(Quantile(figure.Name), bounds, summed) * 1000;
            case SliKinds.Vitals:
                var index = VitalsPercentiles.Select(percentile => percentile.Name).ToList().IndexOf(figure.Name);
                return WeightedMean(counted.Where(sample => sample.Percentiles is not null), sample => sample.Percentiles![index]);
            case SliKinds.Query or SliKinds.Lighthouse:
                return WeightedMean(counted, sample => sample.Value ?? 0);
            case SliKinds.Errors:
                return 1 - goodShare;
            default:
                return goodShare;
        }
    }

    /// <summary>The share of good events; null without events.</summary>
    public static double? Compliance(IReadOnlyCollection<SliSample> samples)
    {
        var total = samples.Sum(sample => sample.Total);
        return total > 0 ? samples.Sum(sample => sample.Good) / total : null;
    }

    public static double Quantile(string name) => name switch
    {
        "max" => 1,
        _ => double.Parse(name[1..], System.Globalization.CultureInfo.InvariantCulture) / 100,
    };

    /// <summary>
    /// Prometheus's <c>histogram_quantile</c> (its bucketQuantile): linear interpolation inside the bucket where the rank
    /// falls; the highest finite bound when it falls in +Inf. Bounds ascend and end with +Inf; counts are cumulative.
    /// </summary>
    public static double? HistogramQuantile(double q, IReadOnlyList<double> le, IReadOnlyList<double> counts)
    {
        if (le.Count < 2 || !double.IsPositiveInfinity(le[^1]))
        {
            return null;
        }
        var cumulative = new double[counts.Count];
        for (var i = 0; i < counts.Count; i++)
        {
            cumulative[i] = Math.Max(counts[i], i > 0 ? cumulative[i - 1] : 0); // counts of a scrape in flight may dip: keep them monotonic
        }
        var observations = cumulative[^1];
        if (observations <= 0)
        {
            return null;
        }
        var rank = q * observations;
        var b = 0;
        while (b < cumulative.Length - 1 && cumulative[b] < rank)
        {
            b++;
        }
        if (b == cumulative.Length - 1)
        {
            return le[^2];
        }
        if (b == 0 && le[0] <= 0)
        {
            return le[0];
        }
        var (start, count) = b > 0 ? (le[b - 1], cumulative[b] - cumulative[b - 1]) : (0, cumulative[0]);
        if (b > 0)
        {
            rank -= cumulative[b - 1];
        }
        return start + (le[b] - start) * (rank / count);
    }

    private static double? WeightedMean(IEnumerable<SliSample> samples, Func<SliSample, double> value)
    {
        var weighted = samples.Where(sample => sample.Weight > 0).ToList();
        var weight = weighted.Sum(sample => sample.Weight!.Value);
        return weight > 0 ? weighted.Sum(sample => value(sample) * sample.Weight!.Value) / weight : null;
    }
}
