namespace Portal.Features.Scorecards;

/// <summary>
/// One evaluation interval of an SLI (or a day of them, rolled up): how many of its events were good. Request SLIs
/// count requests or page views; time SLIs (uptime, query intervals under target, job freshness) count the interval as
/// 1, of which the good share. <see cref="At"/> is the interval's end.
/// </summary>
public sealed record SliSample(DateTimeOffset At, double Good, double Total)
{
    /// <summary>The interval's figure in the SLI's unit: a query's mean time per call, a Web Vitals percentile, an error rate.</summary>
    public double? Value { get; init; }

    /// <summary>What <see cref="Value"/> weighs when intervals are combined: calls, page views, requests.</summary>
    public double? Weight { get; init; }

    /// <summary>A latency histogram's bucket bounds (seconds, ascending, ending with +Inf) and their cumulative counts.</summary>
    public double[]? Le { get; init; }

    public double[]? Counts { get; init; }

    /// <summary>Web Vitals: the interval's p75, p95, p99 and max, in <see cref="SliFigures.VitalsPercentiles"/> order.</summary>
    public double[]? Percentiles { get; init; }

    /// <summary>A day's rollup rather than one interval.</summary>
    public bool Daily { get; init; }
}
