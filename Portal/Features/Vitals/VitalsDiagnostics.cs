using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.Features.Vitals;

/// <summary>A part of a metric's value, as web-vitals' attribution build splits it (the attribution field's name).</summary>
public sealed record VitalsPart(string Field, string Label, string Advice);

/// <summary>
/// A metric's value at p75 split into its parts: the views nearest the p75 (a tenth of the views that carry the parts,
/// at least one) and the mean of each part over them — the parts add up to those views' mean value, close to the p75.
/// <see cref="Behind"/> is what those views most often name: the LCP resource (else element), the INP's longest script
/// (else its target).
/// </summary>
public sealed record Breakdown(string Metric, long Views, long Measured, double P75, long Near, double NearValue, IReadOnlyList<(VitalsPart Part, double Milliseconds)> Parts, string? Behind)
{
    public double Sum => Parts.Sum(part => part.Milliseconds);

    /// <summary>INP: the interaction type (pointer, keyboard) those views most often had.</summary>
    public string? Type { get; init; }

    /// <summary>INP: the page's load state those views most often happened in (loading … complete).</summary>
    public string? LoadState { get; init; }

    /// <summary>The largest part and its share of the sum.</summary>
    public (VitalsPart Part, double Share)? Dominant =>
        Parts.Count == 0 || Sum <= 0 ? null : Parts.MaxBy(part => part.Milliseconds) is var (part, milliseconds) ? (part, milliseconds / Sum) : null;
}

/// <summary>A script of the long animation frames behind a page's slow interactions.</summary>
public sealed record ScriptSummary
{
    public string? Url { get; init; }
    public string? Function { get; init; }
    public string? Invoker { get; init; }
    public long Interactions { get; init; }
    public double Share { get; init; }
    public double MedianMs { get; init; }
    public double TotalMs { get; init; }
}

/// <summary>A Server-Timing metric of a page's navigations: its p75 beside the TTFB p75 of the same views.</summary>
public sealed record ServerTimingSummary
{
    public string Name { get; init; } = "";
    public long Views { get; init; }

    /// <summary>Null for an entry that never carries a duration (a flag such as <c>cache;desc=hit</c>).</summary>
    public double? P75 { get; init; }
    public double TtfbP75 { get; init; }
    public string? Description { get; init; }
}

/// <summary>Why a page is slow: LCP and INP at p75 by part, the scripts behind long frames, the server's share of TTFB.</summary>
public sealed record PageDiagnostics(Breakdown? Lcp, Breakdown? Inp, IReadOnlyList<ScriptSummary> Scripts, IReadOnlyList<ServerTimingSummary> ServerTimings,
    double? TtfbP75, long TtfbViews);

/// <summary>The parts of each metric and the sentence that names the dominant one: one rule for the page and the report.</summary>
public static partial class VitalsDiagnosis
{
    public static readonly IReadOnlyList<VitalsPart> LcpParts =
    [
        new("timeToFirstByte", "Time to first byte", "the server's response: caching, redirects, the queries behind it"),
        new("resourceLoadDelay", "Resource load delay", "start the LCP resource's download earlier: preload it or put it in the HTML"),
        new("resourceLoadDuration", "Resource load duration", "a smaller LCP resource: compress, resize, a modern format"),
        new("elementRenderDelay", "Element render delay", "less render-blocking CSS and script before the element paints"),
    ];

    public static readonly IReadOnlyList<VitalsPart> InpParts =
    [
        new("inputDelay", "Input delay", "other work was running when the user acted: break up long tasks"),
        new("processingDuration", "Processing duration", "the event handlers themselves: do less, or yield to the browser"),
        new("presentationDelay", "Presentation delay", "rendering after the handlers: a smaller DOM update, less layout"),
    ];

    public static IReadOnlyList<VitalsPart> PartsOf(string metric) => metric switch
    {
        "LCP" => LcpParts,
        "INP" => InpParts,
        _ => [],
    };

    /// <summary>"LCP of /checkout: 62 % is resource load duration of /img/hero.jpg" — null without parts.</summary>
    public static string? Sentence(string page, Breakdown breakdown)
    {
        if (breakdown.Dominant is not var (part, share))
        {
            return null;
        }
        var behind = breakdown.Behind is { Length: > 0 } what && part.Field != "timeToFirstByte" ? $" {(breakdown.Metric == "INP" ? "in" : "of")} {what}" : "";
        return $"{breakdown.Metric} of {page}: {Portal.Components.Figures.Percent(share)} is {part.Label.ToLowerInvariant()}{behind}";
    }

    /// <summary>The next step the dominant part calls for.</summary>
    public static string? Advice(Breakdown breakdown) => breakdown.Dominant is var (part, _) ? part.Advice : null;

    /// <summary>
    /// The pg_stat_statements statement a Server-Timing description names (<c>desc="queryid=-4711 target=main"</c>;
    /// without a target, the portal's own), or null.
    /// </summary>
    public static (string? Target, long QueryId)? StatementOf(string? description)
    {
        if (description is null || QueryIdPattern().Match(description) is not { Success: true } match
            || !long.TryParse(match.Groups[1].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var queryId))
        {
            return null;
        }
        return (TargetPattern().Match(description) is { Success: true } target ? target.Groups[1].Value : null, queryId);
    }

    [GeneratedRegex(@"\bqueryid=(-?\d{1,20})\b")]
    private static partial Regex QueryIdPattern();

    [GeneratedRegex(@"\btarget=([A-Za-z0-9_.-]+)")]
    private static partial Regex TargetPattern();
}
