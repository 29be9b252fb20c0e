using System.Text.Json.Serialization;

namespace Portal.Features.Reports;

/// <summary>What a report covers: services (Prometheus jobs, SLA objectives, alerts), Web Vitals apps and query targets; empty means all.</summary>
public sealed record ReportScope(IReadOnlyList<string> Services, IReadOnlyList<string> Apps, IReadOnlyList<string> Targets)
{
    public static ReportScope Everything { get; } = new([], [], []);
}

public static class MetricStatus
{
    public const string Met = "Met";
    public const string NotMet = "Not met";
    public const string NoData = "No data";
}

public static class ReportHealth
{
    public const string Good = "Good";
    public const string NeedsImprovement = "Needs improvement";
    public const string Critical = "Critical";
    public const string NoData = "No data";
}

/// <summary>A key metric of the executive summary: this period against its target and the period before.</summary>
public sealed record KeyMetric(string Name, string Source, string Unit, double? Current, double? Previous, double Target, bool LowerIsBetter)
{
    public string Status => Current is not { } value ? MetricStatus.NoData : (LowerIsBetter ? value <= Target : value >= Target) ? MetricStatus.Met : MetricStatus.NotMet;

    /// <summary>Relative change against the period before (+0.12 = 12 % higher); null without both values.</summary>
    public double? Change => Current is { } now && Previous is { } before && before != 0 ? (now - before) / Math.Abs(before) : null;
}

/// <summary>An SLA objective in scope, as its scorecard stood at the end of the period.</summary>
public sealed record ObjectiveLine(
    string Id, string Service, string Title, string Priority, string Figure, string Unit, double? Value, double? Target, bool LowerIsBetter, string Status, double? BudgetRemaining)
{
    /// <summary>The status in words, the same in the e-mail's HTML and text ("No data", never "NoData").</summary>
    public string StatusText => Status switch { "AtRisk" => "At risk", "WarmingUp" => "Warming up", "NoData" => MetricStatus.NoData, _ => Status };
}

/// <summary>A critical finding: an objective breached or at risk, an alert that fired, a job that failed or went stale.</summary>
public sealed record Finding(string Kind, string Title, string Detail, string Link);

/// <summary>An optimisation opportunity, ranked by its estimated impact: time per period that the fix could give back.</summary>
public sealed record Opportunity(string Kind, string Title, double ImpactMs, string Estimate, string Link, string NextStep)
{
    /// <summary>High, Medium or Low (<see cref="ReportScoring.PriorityRule"/>); set when the opportunities are ranked.</summary>
    public string Priority { get; init; } = OpportunityPriorities.Low;
}

/// <summary>One thing that moved between the two periods (a regression or an improvement).</summary>
public sealed record Movement(string Source, string What, string Unit, double Before, double After, bool LowerIsBetter)
{
    [JsonIgnore]
    public double Relative => Before == 0 ? 0 : (After - Before) / Math.Abs(Before);

    [JsonIgnore]
    public bool Worse => LowerIsBetter ? After > Before : After < Before;
}

/// <summary>"Ready for <paramref name="Users"/>+ users": Yes, No or Not tested, why, and where the load tests are.</summary>
public sealed record ReportReadiness(int Users, string Verdict, string Reason, string Link);

/// <summary>A link of Appendix A to raw data behind the figures (a Lighthouse report, a load test's summary).</summary>
public sealed record RawDataLink(string Label, string Link);

/// <summary>The priorities of the roadmap, by share of the opportunities' estimated impact.</summary>
public static class OpportunityPriorities
{
    public const string High = "High";
    public const string Medium = "Medium";
    public const string Low = "Low";

    public static readonly IReadOnlyList<string> All = [High, Medium, Low];

    /// <summary>When each is done on the roadmap.</summary>
    public static string Roadmap(string priority) => priority switch
    {
        High => "now: this iteration",
        Medium => "next: the iteration after",
        _ => "later: the backlog",
    };
}

/// <summary>A day of the period, for the charts: API p95 and page-load p95 (ms).</summary>
public sealed record DailyPoint(DateTimeOffset Day, double? ApiP95Ms, double? PageLoadP95Ms);

/// <summary>What the figures rest on, for the appendix; <paramref name="Gaps"/> names each source that could not be read.</summary>
public sealed record DataCoverage(long PageViews, int DaysWithoutPrometheus, int Days, int Snapshots, long Requests, IReadOnlyList<string> Gaps)
{
    /// <summary>What counted the requests: Prometheus's request metrics, or the SLA objectives' error SLIs.</summary>
    public string RequestsFrom { get; init; } = "Prometheus";
}

/// <summary>A line of a detailed-analysis table: a name and its figures, already worded.</summary>
public sealed record DetailRow(string Name, IReadOnlyList<string> Cells, string? Link = null);

/// <summary>A section of the detailed analysis: a table with its heading and columns.</summary>
public sealed record DetailSection(string Area, string Title, IReadOnlyList<string> Columns, IReadOnlyList<DetailRow> Rows, string Empty);

/// <summary>A part of the performance score: each key metric and objective scores 0–100, the score is their mean.</summary>
public sealed record ScorePart(string Name, double Points);

/// <summary>The weekly baseline report's data: every figure the e-mail, the archive and the API show.</summary>
public sealed record BaselineReport(
    string ScopeLabel, ReportScope Scope, ReportPeriod Period, DateTimeOffset GeneratedAt,
    string Health, string HealthReason, double? Score, IReadOnlyList<ScorePart> ScoreParts,
    IReadOnlyList<KeyMetric> KeyMetrics, IReadOnlyList<ObjectiveLine> Objectives, IReadOnlyList<Finding> Findings,
    IReadOnlyList<Opportunity> Opportunities, IReadOnlyList<Movement> Regressions, IReadOnlyList<Movement> Improvements,
    IReadOnlyList<DetailSection> Details, IReadOnlyList<DailyPoint> Daily, DataCoverage Coverage)
{
    /// <summary>The opportunities' heading, the same in the e-mail's HTML and text.</summary>
    public string OpportunitiesHeading => Opportunities.Count switch
    {
        0 => "No optimisation opportunity found",
        1 => "The optimisation opportunity",
        var count => $"The {count} optimisation opportunities, by estimated impact",
    };

    /// <summary>Whether any source had anything to say for the period (a subscription may skip a report without).</summary>
    [JsonIgnore]
    public bool HasData => KeyMetrics.Any(metric => metric.Current is not null) || Objectives.Any(objective => objective.Value is not null);

    public string Subject => $"{Period.Adjective} performance baseline — {ScopeLabel} — {Period.Name}";

    /// <summary>Ready for N+ users, from the load tests; null in reports archived before it, or when they could not be read.</summary>
    public ReportReadiness? Readiness { get; init; }

    /// <summary>Appendix B: the lab and load-test configurations that produced the figures.</summary>
    public IReadOnlyList<string> TestConfigurations { get; init; } = [];

    /// <summary>Appendix A: raw data behind the figures (the key metrics' CSV is linked beside them).</summary>
    public IReadOnlyList<RawDataLink> RawData { get; init; } = [];
}
