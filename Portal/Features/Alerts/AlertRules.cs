using Portal.Features.Scorecards;

namespace Portal.Features.Alerts;

/// <summary>Where a rule's value comes from.</summary>
public static class AlertSources
{
    public const string PromQl = "promql";
    public const string Sli = "sli";
    public const string Query = "query";
    public const string Vitals = "vitals";
    public const string Cache = "cache";
    public const string Job = "job";
    public const string Risk = "risk";
    public const string Lighthouse = "lighthouse";
    public const string BurnRate = "burn-rate";

    /// <summary>The sources a threshold rule may name (burn-rate rules are generated from the SLA catalogue).</summary>
    public static readonly IReadOnlyList<string> Threshold = [PromQl, Sli, Query, Vitals, Cache, Job, Risk, Lighthouse];
}

/// <summary>What a PromQL rule's query answering no series means (<c>on_empty</c>); an answer of NaN is not empty.</summary>
public static class EmptyAnswers
{
    /// <summary>The default: the source is not there (a scrape job gone), so the rule's NoData alert fires after 5 minutes.</summary>
    public const string NoData = "no_data";

    /// <summary>Nothing to report: for an expression that filters (<c>up == 0</c>) and rightly answers nothing while all is well.</summary>
    public const string Ok = "ok";

    /// <summary>The condition holds (an <c>absent()</c>-like check written as the query itself).</summary>
    public const string Fire = "fire";

    public static readonly IReadOnlyList<string> All = [NoData, Ok, Fire];
}

public static class AlertSeverities
{
    public const string Critical = "critical";
    public const string Warning = "warning";
    public const string Page = "page";
    public const string Ticket = "ticket";

    public static readonly IReadOnlyList<string> All = [Critical, Warning, Page, Ticket];
}

/// <summary>
/// An alert rule: a value read from a source, compared with a threshold, for long enough. Values are in the source's
/// unit: PromQL's own, milliseconds for query and Web Vitals times, a ratio (0.6) for hit ratios and SLI shares,
/// minutes late for a job.
/// </summary>
public sealed record AlertRule
{
    public required string Name { get; init; }
    public required string Source { get; init; }
    public required string Severity { get; init; }

    /// <summary>Fires above the threshold (or below it when <see cref="Below"/>).</summary>
    public required double Threshold { get; init; }
    public bool Below { get; init; }

    /// <summary>How long the condition must hold before the alert fires (pending until then).</summary>
    public TimeSpan For { get; init; }

    /// <summary>The span the value is read over (a window of samples); PromQL says its own.</summary>
    public TimeSpan Over { get; init; } = TimeSpan.FromMinutes(5);

    public string? Query { get; init; }

    /// <summary>A PromQL rule's reading of a query that answers no series: one of <see cref="EmptyAnswers"/>.</summary>
    public string OnEmpty { get; init; } = EmptyAnswers.NoData;
    public string? Objective { get; init; }
    public string? Target { get; init; }

    /// <summary>A <c>query</c> rule's statements: of this database and user only (beyond the target's scope), called at least this often.</summary>
    public string? Database { get; init; }
    public string? User { get; init; }
    public long MinCalls { get; init; } = 1;
    public string? App { get; init; }
    public string? Metric { get; init; }
    public string? Page { get; init; }
    public string? Redis { get; init; }
    public string? Category { get; init; }
    public string? Job { get; init; }

    /// <summary>A <c>lighthouse</c> rule's service (null: every service) and profile (null: both); its page is <see cref="Page"/>, its category <see cref="Category"/>.</summary>
    public string? Service { get; init; }
    public string? Profile { get; init; }

    /// <summary>A <c>risk</c> rule's kind of maintenance risk (<see cref="Queries.RiskKinds"/>), or <c>*</c> for every kind.</summary>
    public string? Risk { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();

    /// <summary>A burn-rate rule's windows: the burn must exceed the threshold over both (the SRE workbook's multiwindow alert).</summary>
    public TimeSpan? LongWindow { get; init; }
    public TimeSpan? ShortWindow { get; init; }

    /// <summary>
    /// A burn-rate rule's low-traffic guard: the events its long window must hold before it may fire (a quiet night's one
    /// error in three requests is no evidence of a burning budget). See <see cref="AlertRuleSet.DefaultMinEvents"/>.
    /// </summary>
    public long MinEvents { get; init; }

    public SourceLocation? Location { get; init; }

    public bool Breaches(double value) => Below ? value < Threshold : value > Threshold;

    /// <summary>Which rule this is among rules of the same name: its severity, and for a burn-rate rule its objective and windows.</summary>
    public string Key
    {
        get => key ?? (Source == AlertSources.BurnRate ? $"{Name}/{Severity}/{Objective}/{Labels.GetValueOrDefault("window")}" : $"{Name}/{Severity}");
        init => key = value;
    }

    private readonly string? key;
}

/// <summary>
/// One multiwindow burn-rate condition: the budget burning faster than <paramref name="Factor"/>× over both windows,
/// with at least <paramref name="MinEvents"/> events in the long one (null: <see cref="AlertRuleSet.DefaultMinEvents"/>).
/// </summary>
public sealed record BurnRateWindow(string Severity, double Factor, TimeSpan LongSpan, TimeSpan ShortSpan, long? MinEvents = null);

/// <summary>
/// A notification route: alerts whose labels (with <c>alertname</c> and <c>severity</c>) equal every matcher go to its
/// destinations; the first route that matches takes the alert unless it says <c>continue</c>.
/// </summary>
public sealed record NotificationRoute(IReadOnlyDictionary<string, string> Match, IReadOnlyList<string> To, bool Continue, SourceLocation? Location = null)
{
    /// <summary>Named time intervals during which the route sends nothing (Alertmanager's <c>mute_time_intervals</c>).</summary>
    public IReadOnlyList<string> MuteTimeIntervals { get; init; } = [];

    /// <summary>Named time intervals outside of which the route sends nothing (<c>active_time_intervals</c>); none: always active.</summary>
    public IReadOnlyList<string> ActiveTimeIntervals { get; init; } = [];
}

/// <summary>The rules in force: the file's threshold rules and the burn-rate rules generated for every SLA objective; and where their notifications go.</summary>
public sealed record AlertRuleSet(string File, IReadOnlyList<AlertRule> Rules, IReadOnlyList<BurnRateWindow> BurnRates, DateTimeOffset LoadedAt)
{
    public IReadOnlyList<NotificationRoute> Routes { get; init; } = [];

    /// <summary>Where an alert no route takes goes.</summary>
    public IReadOnlyList<string> DefaultDestinations { get; init; } = [SlackDestinations.Default];

    /// <summary>The named time intervals of <c>time_intervals</c>.</summary>
    public IReadOnlyDictionary<string, TimeInterval> TimeIntervals { get; init; } = new Dictionary<string, TimeInterval>();

    /// <summary>The mute and active intervals of what no route takes (<c>notifications</c>' own).</summary>
    public NotificationRoute DefaultRoute { get; init; } = new(new Dictionary<string, string>(), [], false);

    /// <summary>Whether any of the named intervals holds at <paramref name="instant"/> (an unknown name never does).</summary>
    public bool InAny(IEnumerable<string> intervals, DateTimeOffset instant) =>
        intervals.Any(name => TimeIntervals.TryGetValue(name, out var interval) && interval.Contains(instant));

    /// <summary>
    /// Whether the alert's notifications to <paramref name="destination"/> are muted by time at <paramref name="instant"/>:
    /// the route that sends them there (the first that does, in the routes' order; what no route takes, the default)
    /// is in one of its mute intervals, or has active intervals and is in none.
    /// </summary>
    public bool MutedByTime(AlertInstance alert, string destination, DateTimeOffset instant)
    {
        var labels = Silence.LabelsOf(alert);
        var route = Routes.Where(route => route.Match.All(matcher => labels.TryGetValue(matcher.Key, out var value) && value == matcher.Value))
            .TakeUntilStop().FirstOrDefault(route => route.To.Contains(destination)) ?? DefaultRoute;
        return InAny(route.MuteTimeIntervals, instant) || (route.ActiveTimeIntervals.Count > 0 && !InAny(route.ActiveTimeIntervals, instant));
    }

    /// <summary>The destinations of one alert, in the routes' order.</summary>
    public IReadOnlyList<string> DestinationsOf(AlertInstance alert)
    {
        var labels = Silence.LabelsOf(alert);
        var destinations = new List<string>();
        foreach (var route in Routes.Where(route => route.Match.All(matcher => labels.TryGetValue(matcher.Key, out var value) && value == matcher.Value)))
        {
            destinations.AddRange(route.To.Except(destinations));
            if (!route.Continue)
            {
                return destinations;
            }
        }
        return destinations.Count > 0 ? destinations : DefaultDestinations;
    }

    /// <summary>The SRE workbook's defaults: page at 14.4× over 1 h and 5 m or 6× over 6 h and 30 m; ticket at 1× over 3 d and 6 h.</summary>
    public static readonly IReadOnlyList<BurnRateWindow> DefaultBurnRates =
    [
        new(AlertSeverities.Page, 14.4, TimeSpan.FromHours(1), TimeSpan.FromMinutes(5)),
        new(AlertSeverities.Page, 6, TimeSpan.FromHours(6), TimeSpan.FromMinutes(30)),
        new(AlertSeverities.Ticket, 1, TimeSpan.FromDays(3), TimeSpan.FromHours(6)),
    ];

    /// <summary>
    /// The low-traffic guard when a window does not set one: the fewest events in which a single bad event does not by
    /// itself cross the factor — with N events one bad one burns (1/N) ÷ budget, and a rule fires above its factor, so N
    /// must reach 1 ÷ (factor × budget) (rounded to a millionth first: 1 − 0.99 is not 0.01 in floating point). A 99.9 %
    /// objective's fast page (14.4×) needs 70 events in its hour; a 99.5 % one, 14; a 99 % ticket (1×), 100. Past it, a
    /// rule still needs more than one bad event to fire: the guard only rules out the single-event page.
    /// </summary>
    public static long DefaultMinEvents(double factor, double budget) =>
        factor <= 0 || budget <= 0 ? 0 : (long)Math.Ceiling(Math.Round(1 / (factor * budget), 6));

    /// <summary>The burn-rate rules guarding each objective of the catalogue, one per window.</summary>
    public IReadOnlyList<AlertRule> Generated(SlaCatalogue? catalogue) => catalogue is null ? [] : catalogue.Objectives
        .SelectMany(objective => BurnRates.Select(window => new AlertRule
        {
            Name = $"ErrorBudgetBurn{(window.Severity == AlertSeverities.Page ? "Fast" : "Slow")}",
            Source = AlertSources.BurnRate,
            Severity = window.Severity,
            Threshold = window.Factor,
            Objective = objective.Id,
            LongWindow = window.LongSpan,
            ShortWindow = window.ShortSpan,
            MinEvents = window.MinEvents ?? DefaultMinEvents(window.Factor, 1 - objective.Sli.Objective),
            Labels = new Dictionary<string, string>
            {
                ["objective"] = objective.Id, ["service"] = objective.Service, ["team"] = objective.Team, ["window"] = $"{Compact(window.LongSpan)}/{Compact(window.ShortSpan)}",
            },
            Annotations = new Dictionary<string, string>
            {
                ["summary"] = $"{objective.Title}: error budget burning {{{{ value }}}}× over {Compact(window.LongSpan)} and {Compact(window.ShortSpan)} (threshold {window.Factor}×)",
            },
        }))
        .ToList();

    public static string Compact(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays % 1 == 0 ? $"{span.TotalDays:0}d" : span.TotalHours >= 1 && span.TotalHours % 1 == 0 ? $"{span.TotalHours:0}h" : $"{span.TotalMinutes:0}m";
}

internal static class RouteWalk
{
    /// <summary>The matching routes an alert goes through: up to and with the first that does not <c>continue</c>.</summary>
    public static IEnumerable<NotificationRoute> TakeUntilStop(this IEnumerable<NotificationRoute> matching)
    {
        foreach (var route in matching)
        {
            yield return route;
            if (!route.Continue)
            {
                yield break;
            }
        }
    }
}
