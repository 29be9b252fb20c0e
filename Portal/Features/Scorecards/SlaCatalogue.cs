namespace Portal.Features.Scorecards;

/// <summary>Where a value was written in the catalogue file, for errors a person can find.</summary>
public sealed record SourceLocation(string File, long Line, long Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>
/// A catalogue error: where, and what is wrong. A warning (<see cref="Blocking"/> false) does not keep the catalogue
/// from loading: a metric Prometheus has not seen yet (a fresh install, before its first scrapes) only leaves that SLI
/// without data.
/// </summary>
public sealed record SlaError(SourceLocation Location, string Message, bool Blocking = true)
{
    public override string ToString() => $"{Location}: {(Blocking ? "" : "warning: ")}{Message}";
}

/// <summary>The kinds of SLI, by where their samples come from.</summary>
public static class SliKinds
{
    public const string Latency = "latency";
    public const string Errors = "errors";
    public const string Availability = "availability";
    public const string Query = "query";
    public const string Vitals = "vitals";
    public const string Cache = "cache";
    public const string Job = "job";
    public const string Lighthouse = "lighthouse";

    public static readonly IReadOnlyList<string> All = [Latency, Errors, Availability, Query, Vitals, Cache, Job, Lighthouse];

    /// <summary>
    /// Whether the SLI is read from Prometheus, where a series that is not there is not a quiet service: a scrape job
    /// removed or renamed, an exporter gone (see <see cref="SliEvaluator.NoSeriesSince"/>).
    /// </summary>
    public static bool ReadsPrometheus(SliSpec sli) => sli.Kind is Latency or Errors or Availability || (sli.Kind == Cache && sli.Category is not null);
}

/// <summary>
/// What an SLI measures. Only the fields of its kind are set: Prometheus (metric and matchers, or bad/total/up
/// expressions), query statistics (target and a statement match), Web Vitals (app, metric, page, device), cache
/// (category or Redis), job. Durations are in milliseconds; shares are fractions (0.995).
/// </summary>
public sealed record SliSpec
{
    public required string Kind { get; init; }
    public string? Metric { get; init; }
    public IReadOnlyDictionary<string, string> Matchers { get; init; } = new Dictionary<string, string>();
    public string? Bad { get; init; }
    public string? Total { get; init; }
    public string? Up { get; init; }
    public string? Target { get; init; }
    public string? Pattern { get; init; }
    public string? Database { get; init; }
    public long? QueryId { get; init; }
    public string? App { get; init; }
    public string? Page { get; init; }
    public string? Device { get; init; }
    public string? Category { get; init; }
    public string? Redis { get; init; }
    public string? Job { get; init; }

    /// <summary>A lighthouse SLI's service (the objective's own: its lab runs are filed under it) and profile; its Lighthouse category is <see cref="Category"/>.</summary>
    public string? Service { get; init; }
    public string? Profile { get; init; }

    /// <summary>Percentile targets (<c>p75</c>, <c>p95</c>, <c>p99</c>, <c>max</c>) or <c>mean</c>, in the SLI's unit.</summary>
    public IReadOnlyDictionary<string, double> Targets { get; init; } = new Dictionary<string, double>();

    /// <summary>The budget form's threshold: "≥ objective of requests faster than this" (latency), "intervals under this" (query).</summary>
    public double? Threshold { get; init; }

    /// <summary>The share that must be good: requests, intervals, uptime, hit ratio, good experiences.</summary>
    public required double Objective { get; init; }
}

/// <summary>One objective: who owns it, how important it is, over which window, and its SLI.</summary>
public sealed record SlaObjective(
    string Id, string Title, string Service, string Team, string Priority, string Window, SliSpec Sli, SourceLocation Location)
{
    /// <summary>A rolling window's length; null for the calendar month.</summary>
    public TimeSpan? RollingWindow => Window == "month" ? null : TimeSpan.FromDays(int.Parse(Window.TrimEnd('d'), System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The share of its window an objective must have been observed for before it is judged (<see cref="ScorecardOptions.WarmUpShare"/>).</summary>
    public double WarmUpShare { get; init; }

    /// <summary>How long an objective is observed before it is judged: its warm-up share of its window (a month counts 30 days).</summary>
    public TimeSpan WarmUp => (RollingWindow ?? TimeSpan.FromDays(30)) * WarmUpShare;

    /// <summary>
    /// When the objective stops warming up: <see cref="WarmUp"/> after it was first observed (its oldest sample,
    /// <see cref="SliEvaluationState.FirstSampleAt"/>); null once it has, and without a sample (that is no data).
    /// </summary>
    public DateTimeOffset? WarmingUpUntil(DateTimeOffset? firstSampleAt, DateTimeOffset now) =>
        WarmUpShare > 0 && firstSampleAt is { } first && first - SliEvaluator.Interval + WarmUp > now ? first - SliEvaluator.Interval + WarmUp : null;
}

/// <summary>
/// A service's critical pages for the lab-checks job (its <c>lab:</c> in the catalogue): where the service answers
/// (null: the portal's own address), the Lighthouse profiles, an optional sign-in script for pages behind a login
/// (a module of <c>tools/browser</c>'s kind, given the page, the address and the service's credentials), the pages
/// (signed in first when there is a sign-in script) and the public pages (always audited signed out: a login page
/// redirects a signed-in visitor).
/// </summary>
public sealed record LabTarget(
    string Service, string? BaseUrl, IReadOnlyList<string> Profiles, string? SignIn, IReadOnlyList<string> Pages, IReadOnlyList<string> PublicPages, SourceLocation Location)
{
    public IEnumerable<string> AllPages => PublicPages.Concat(Pages);
}

/// <summary>The SLA catalogue as loaded: every objective, by service, and the pages the lab audits.</summary>
public sealed record SlaCatalogue(string File, IReadOnlyList<SlaObjective> Objectives, DateTimeOffset LoadedAt)
{
    public IReadOnlyList<LabTarget> Lab { get; init; } = [];

    public IEnumerable<IGrouping<string, SlaObjective>> Services => Objectives.GroupBy(objective => objective.Service);
}
