using System.Globalization;

namespace Portal.Features.Lab;

/// <summary>A Lighthouse score as the portal shows it: Lighthouse's 0–100 and its colours (90+ good, 50–89 average, under 50 poor).</summary>
public static class LabScores
{
    public static string Format(double? score) => LighthouseResult.Points(score)?.ToString(CultureInfo.InvariantCulture) ?? "—";

    public static string Rating(double? score) => LighthouseResult.Points(score) switch
    {
        null => "none",
        >= 90 => "good",
        >= 50 => "needs-improvement",
        _ => "poor",
    };

    public static string RatingClass(double? score) => $"rating-{Rating(score)}";
}
