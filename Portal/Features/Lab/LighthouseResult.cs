using System.Globalization;
using System.Text.Json;

namespace Portal.Features.Lab;

/// <summary>Lighthouse's two device profiles, as its <c>configSettings.formFactor</c> names them.</summary>
public static class LabProfiles
{
    public const string Mobile = "mobile";
    public const string Desktop = "desktop";

    public static readonly IReadOnlyList<string> All = [Mobile, Desktop];
}

/// <summary>Lighthouse's four categories, as its JSON names them.</summary>
public static class LighthouseCategories
{
    public const string Performance = "performance";
    public const string Accessibility = "accessibility";
    public const string BestPractices = "best-practices";
    public const string Seo = "seo";

    public static readonly IReadOnlyList<string> All = [Performance, Accessibility, BestPractices, Seo];
}

/// <summary>An audit that did not pass (Lighthouse's own line: a score under 0.9), with what it measured.</summary>
public sealed record FailingAudit(string Id, string Title, double Score, string? DisplayValue);

/// <summary>
/// What the portal keeps of a Lighthouse result: the four category scores exactly as Lighthouse wrote them (0–1; the
/// pages show them ×100, rounded, as Lighthouse's own report does), the lab metrics (ms; CLS unitless) and the audits
/// that failed.
/// </summary>
public sealed record LighthouseResult(
    string RequestedUrl, string FinalUrl, string Profile, DateTimeOffset FetchedAt, string LighthouseVersion,
    double? Performance, double? Accessibility, double? BestPractices, double? Seo,
    double? LcpMs, double? TbtMs, double? Cls, double? FcpMs, double? SpeedIndexMs, string? RuntimeError, IReadOnlyList<FailingAudit> Failing)
{
    /// <summary>The score (0–1) of one of <see cref="LighthouseCategories"/>.</summary>
    public double? Score(string category) => category switch
    {
        LighthouseCategories.Performance => Performance,
        LighthouseCategories.Accessibility => Accessibility,
        LighthouseCategories.BestPractices => BestPractices,
        LighthouseCategories.Seo => Seo,
        _ => throw new ArgumentException($"Unknown Lighthouse category '{category}'.", nameof(category)),
    };

    /// <summary>A score as Lighthouse's report shows it: 0–100, rounded.</summary>
    public static int? Points(double? score) => score is { } value ? (int)Math.Round(value * 100, MidpointRounding.AwayFromZero) : null;
}

/// <summary>
/// Reads a Lighthouse result (the JSON <c>lighthouse --output json</c> writes, Lighthouse 10 to 12) or an
/// <c>@lhci/cli</c> run upload (an object whose <c>lhr</c> is that JSON, as a string or inline). A problem names the
/// field at fault.
/// </summary>
public static class LighthouseResultReader
{
    public const int MaxFailing = 40;


    /// <summary>The result, and the JSON of the report itself (the upload's <c>lhr</c>, or the body).</summary>
    public static (LighthouseResult? Result, JsonElement Report, string? Problem) Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, root, "the body is a JSON object: Lighthouse's JSON result, or an @lhci/cli run with `lhr`");
        }
        var report = root;
        if (root.TryGetProperty("lhr", out var lhr))
        {
            if (lhr.ValueKind == JsonValueKind.String)
            {
                try
                {
                    using var inner = JsonDocument.Parse(lhr.GetString()!);
                    report = inner.RootElement.Clone();
                }
                catch (JsonException ex)
                {
                    return (null, root, $"`lhr` is not JSON: {ex.Message}");
                }
            }
            else
            {
                report = lhr;
            }
            if (report.ValueKind != JsonValueKind.Object)
            {
                return (null, root, "`lhr` is Lighthouse's JSON result (an object)");
            }
        }

        if (Text(report, "lighthouseVersion") is not { } version)
        {
            return (null, report, "`lighthouseVersion` is missing: not a Lighthouse result (lighthouse --output json)");
        }
        if (Text(report, "requestedUrl") is not { } requested || !Uri.TryCreate(requested, UriKind.Absolute, out var requestedUri) || requestedUri.Scheme is not ("http" or "https"))
        {
            return (null, report, "`requestedUrl` is missing or not an http(s) address");
        }
        if (Text(report, "fetchTime") is not { } fetchTime
            || !DateTimeOffset.TryParse(fetchTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var fetchedAt))
        {
            return (null, report, "`fetchTime` is missing or not a timestamp");
        }
        var profile = report.TryGetProperty("configSettings", out var settings) && settings.ValueKind == JsonValueKind.Object ? Text(settings, "formFactor") : null;
        if (profile is null || !LabProfiles.All.Contains(profile))
        {
            return (null, report, "`configSettings.formFactor` is missing: mobile or desktop");
        }
        if (!report.TryGetProperty("categories", out var categories) || categories.ValueKind != JsonValueKind.Object)
        {
            return (null, report, "`categories` is missing: Lighthouse's category scores");
        }
        if (!report.TryGetProperty("audits", out var audits) || audits.ValueKind != JsonValueKind.Object)
        {
            return (null, report, "`audits` is missing: Lighthouse's audits");
        }
        var scores = new Dictionary<string, double?>();
        foreach (var category in LighthouseCategories.All)
        {
            if (categories.TryGetProperty(category, out var found) && found.ValueKind == JsonValueKind.Object && found.TryGetProperty("score", out var score))
            {
                if (score.ValueKind == JsonValueKind.Number && score.GetDouble() is >= 0 and <= 1)
                {
                    scores[category] = score.GetDouble();
                }
                else if (score.ValueKind != JsonValueKind.Null)
                {
                    return (null, report, $"`categories.{category}.score` is a number from 0 to 1, or null");
                }
            }
        }
        if (scores.Count == 0)
        {
            return (null, report, "`categories` has none of performance, accessibility, best-practices and seo");
        }

        double? Metric(string audit) =>
            audits.TryGetProperty(audit, out var found) && found.ValueKind == JsonValueKind.Object
            && found.TryGetProperty("numericValue", out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

        var runtimeError = report.TryGetProperty("runtimeError", out var error) && error.ValueKind == JsonValueKind.Object ? Text(error, "message") : null;
        return (new LighthouseResult(
            requested, Text(report, "finalDisplayedUrl") ?? Text(report, "finalUrl") ?? requested, profile, fetchedAt.ToUniversalTime(), version,
            scores.GetValueOrDefault("performance"), scores.GetValueOrDefault("accessibility"), scores.GetValueOrDefault("best-practices"), scores.GetValueOrDefault("seo"),
            Metric("largest-contentful-paint"), Metric("total-blocking-time"), Metric("cumulative-layout-shift"), Metric("first-contentful-paint"), Metric("speed-index"),
            runtimeError, Failing(audits)), report, null);
    }

    // Scored audits under 0.9 (Lighthouse's pass mark), worst first; informative and manual audits have no score.
    private static List<FailingAudit> Failing(JsonElement audits) =>
        audits.EnumerateObject()
            .Where(audit => audit.Value.ValueKind == JsonValueKind.Object)
            .Select(audit => (audit.Name, Audit: audit.Value, Score: audit.Value.TryGetProperty("score", out var score) && score.ValueKind == JsonValueKind.Number ? score.GetDouble() : (double?)null,
                Mode: Text(audit.Value, "scoreDisplayMode")))
            .Where(audit => audit.Score is < 0.9 && audit.Mode is "binary" or "numeric" or "metricSavings")
            .OrderBy(audit => audit.Score).ThenBy(audit => audit.Name, StringComparer.Ordinal)
            .Take(MaxFailing)
            .Select(audit => new FailingAudit(audit.Name, Text(audit.Audit, "title") ?? audit.Name, audit.Score!.Value, Text(audit.Audit, "displayValue")))
            .ToList();

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
}
