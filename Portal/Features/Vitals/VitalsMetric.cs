namespace Portal.Features.Vitals;

/// <summary>A Core Web Vital and its thresholds (web.dev's): at most <see cref="Good"/> is good, above <see cref="Poor"/> is poor.</summary>
public sealed record VitalsMetric(string Name, double Good, double Poor, double Max, string Unit)
{
    public static readonly IReadOnlyList<VitalsMetric> All =
    [
        new("LCP", 2_500, 4_000, 120_000, "ms"),
        new("INP", 200, 500, 120_000, "ms"),
        new("CLS", 0.1, 0.25, 10, ""),
        new("FCP", 1_800, 3_000, 120_000, "ms"),
        new("TTFB", 800, 1_800, 120_000, "ms"),
    ];

    public static VitalsMetric? Find(string? name) => All.FirstOrDefault(metric => metric.Name == name);

    /// <summary>INP and CLS are reported as they change (and may be sent again); the others once per page view.</summary>
    public bool Repeats => Name is "INP" or "CLS";

    public string RatingOf(double value) => value <= Good ? VitalsRating.Good : value <= Poor ? VitalsRating.NeedsImprovement : VitalsRating.Poor;

    public string Format(double value) => Portal.Components.Figures.Format(value, Unit);
}

/// <summary>The three ratings, as web-vitals names them.</summary>
public static class VitalsRating
{
    public const string Good = "good";
    public const string NeedsImprovement = "needs-improvement";
    public const string Poor = "poor";
}
