using Microsoft.Extensions.Options;
using Portal.Features.Scorecards;

namespace Portal.Features.Alerts;

/// <summary>One interval an alert would have fired: its labels, from when to when (null: still firing at the end), its worst value.</summary>
public sealed record FiringInterval(IReadOnlyDictionary<string, string> Labels, DateTimeOffset Start, DateTimeOffset? End, double? Worst);

/// <summary>
/// What a rule would have done over a past window: the intervals it would have fired, the notifications the policy
/// would have sent (by kind, over every destination its routes give), and how many of those were pages at night.
/// </summary>
public sealed record BacktestResult(
    string Rule, string Key, string Severity, string Source, DateTimeOffset From, DateTimeOffset To, TimeSpan Step, int Evaluations,
    IReadOnlyList<FiringInterval> Intervals, IReadOnlyDictionary<string, int> Notifications, int PagesAtNight, IReadOnlyList<string> Caveats, string? NotPossible = null)
{
    public int NotificationCount => Notifications.Values.Sum();
}

/// <summary>
/// Prometheus#1154's "try a rule on the past": the rule evaluated every <see cref="Step"/> over the window from the data
/// the portal stored (SLI samples, query snapshots, Web Vitals, cache and job history; Prometheus at each instant for
/// PromQL), stepped through the same state machine as the alert evaluation (<see cref="AlertEvaluation.StepRule"/>) and
/// grouped and routed through the same notification policy. Burn-rate rules read their objective's samples once and
/// compute each instant in memory (<see cref="AlertEvaluator.BurnRate"/>).
/// </summary>
public sealed class AlertBacktest(AlertEvaluator evaluator, SlaCatalogueSource catalogue, SliSampleStore samples, NotificationDestinations destinations,
    IOptions<NotificationOptions> notifications, IOptions<AlertOptions> options, TimeProvider time)
{
    /// <summary>
    /// Every rule of an <c>alerts.yaml</c> not yet in force (the file's threshold rules and the burn-rate rules its windows
    /// generate for the catalogue in force) tried on the last <paramref name="days"/> days; null results when the file is invalid.
    /// </summary>
    public async Task<(IReadOnlyList<BacktestResult>? Results, IReadOnlyList<SlaError> Errors)> RunFileAsync(string path, string yaml, int days,
        CancellationToken cancellationToken = default)
    {
        var (ruleSet, errors) = new AlertRulesReader(path, catalogue.Current, destinations.All().Select(destination => destination.Name).ToList()).Read(yaml);
        if (ruleSet is null)
        {
            return (null, errors);
        }
        var now = time.GetUtcNow();
        var results = new List<BacktestResult>();
        foreach (var rule in ruleSet.Rules.Concat(ruleSet.Generated(catalogue.Current)))
        {
            results.Add(await RunAsync(rule, ruleSet, now.AddDays(-days), now, cancellationToken));
        }
        return (results, errors);
    }

    /// <summary>Why a number of days cannot be tried, or null.</summary>
    public static string? DaysProblem(int days) => days is < 1 or > MaxDays ? $"days must be 1 to {MaxDays}" : null;

    public const int MaxDays = 30;

    /// <summary>The SLI samples' own resolution, and a fair stand-in for the evaluation's minute.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    public async Task<BacktestResult> RunAsync(AlertRule rule, AlertRuleSet ruleSet, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        from = SliEvaluator.Floor(from);
        var caveats = new List<string>
        {
            $"evaluated every {Step.TotalMinutes:0} minutes (the alert evaluation runs every minute); silences and inhibition are not replayed",
        };
        if (rule.Source == AlertSources.Risk)
        {
            return Result(rule, from, to, 0, [], new Dictionary<string, int>(), 0, caveats,
                "a risk rule reads the database's limits as they are now: PostgreSQL keeps no history of them to try the rule on");
        }
        var observe = await ObserverAsync(rule, from, caveats, cancellationToken);
        var instances = new Dictionary<string, AlertInstance>();
        var intervals = new List<FiringInterval>();
        var open = new Dictionary<string, (FiringInterval Interval, double? Worst)>();
        var groups = new Dictionary<string, AlertGroup>();
        var sent = new Dictionary<string, int>(StringComparer.Ordinal);
        var night = 0;
        var evaluations = 0;
        var (noData, firstError) = (0, (string?)null);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(options.Value.NightTimeZone);
        for (var now = from; now <= to; now += Step)
        {
            cancellationToken.ThrowIfCancellationRequested();
            evaluations++;
            IReadOnlyList<AlertObservation> observations;
            try
            {
                observations = await observe(now);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // No data: every state stays, as in the evaluation; the reason is told once.
                noData++;
                firstError ??= ex.Message;
                continue;
            }
            var (next, transitions) = (new List<AlertInstance>(), new List<AlertTransition>());
            AlertEvaluation.StepRule(rule, [.. instances.Values], observations, now, next, transitions);
            foreach (var stepped in next)
            {
                instances[stepped.Fingerprint] = stepped;
            }
            foreach (var instance in next.Where(instance => instance.State == AlertStates.Firing && open.ContainsKey(instance.Fingerprint)))
            {
                var (interval, worst) = open[instance.Fingerprint];
                open[instance.Fingerprint] = (interval, Worse(rule, worst, instance.Value));
            }
            foreach (var transition in transitions)
            {
                if (transition.To == AlertStates.Firing)
                {
                    var instance = instances[transition.Fingerprint];
                    open[transition.Fingerprint] = (new FiringInterval(instance.Labels, now, null, null), instance.Value);
                }
                else if (transition.From == AlertStates.Firing && open.Remove(transition.Fingerprint, out var closed))
                {
                    intervals.Add(closed.Interval with { End = now, Worst = closed.Worst });
                }
            }
            // The notifications: the firing alerts by group for each destination, through the policy (and the routes' time intervals).
            var firing = instances.Values.Where(instance => instance.State == AlertStates.Firing)
                .SelectMany(instance => ruleSet.DestinationsOf(instance).Select(destination => (Key: NotificationPolicy.KeyOf(destination, instance), Destination: destination, Instance: instance)))
                .GroupBy(each => each.Key).ToDictionary(group => group.Key, group => group.ToList());
            foreach (var key in firing.Keys.Union(groups.Keys).ToList())
            {
                var alerts = firing.GetValueOrDefault(key)?.Select(each => each.Instance).ToList() ?? [];
                var destination = firing.TryGetValue(key, out var routed) ? routed[0].Destination : groups[key].Destination;
                var (group, kind) = NotificationPolicy.Decide(groups.GetValueOrDefault(key), key, destination, alerts, now, notifications.Value);
                if (kind is not null && (alerts.Count > 0 ? alerts : [.. instances.Values]).Any(instance => ruleSet.MutedByTime(instance, destination, now)))
                {
                    continue; // held by a mute time: due again at the next step
                }
                if (group is null)
                {
                    groups.Remove(key);
                }
                else
                {
                    groups[key] = group;
                }
                if (kind is null)
                {
                    continue;
                }
                sent[kind] = sent.GetValueOrDefault(kind) + 1;
                var local = TimeZoneInfo.ConvertTime(now, zone);
                if (rule.Severity is AlertSeverities.Page or AlertSeverities.Critical && (local.Hour >= options.Value.NightStartHour || local.Hour < options.Value.NightEndHour))
                {
                    night++;
                }
            }
        }
        intervals.AddRange(open.Values.Select(pair => pair.Interval with { Worst = pair.Worst }));
        if (noData > 0)
        {
            caveats.Add($"{noData:N0} of {evaluations:N0} evaluations had no data, every state kept (first: {firstError})");
        }
        return Result(rule, from, to, evaluations, intervals.OrderBy(interval => interval.Start).ToList(), sent, night, caveats);
    }

    // How the rule reads its source at each instant: burn-rate rules from the objective's samples read once, every
    // other source as the evaluation reads it.
    private async Task<Func<DateTimeOffset, Task<IReadOnlyList<AlertObservation>>>> ObserverAsync(AlertRule rule, DateTimeOffset from, List<string> caveats,
        CancellationToken cancellationToken)
    {
        if (rule.Source != AlertSources.BurnRate)
        {
            if (rule.Source == AlertSources.Lighthouse)
            {
                caveats.Add("Lighthouse scores are those of the runs stored (Lab:ReportRetentionDays keeps their reports, the scores stay)");
            }
            return now => evaluator.ObserveAsync(rule, now, cancellationToken);
        }
        var objective = catalogue.Current?.Objectives.FirstOrDefault(objective => objective.Id == rule.Objective)
            ?? throw new InvalidOperationException($"The SLA catalogue in force has no objective '{rule.Objective}'.");
        var budget = 1 - objective.Sli.Objective;
        var read = (await samples.ReadRawAsync([objective.Id], from - rule.LongWindow!.Value, DateTimeOffset.MaxValue, cancellationToken))[objective.Id].ToArray();
        var at = read.Select(sample => sample.At).ToList();
        var firstSample = (await samples.StateAsync(objective.Id, cancellationToken))?.FirstSampleAt;
        caveats.Add($"from the 5-minute SLI samples still kept (Scorecards:RawRetentionDays): {read.Length:N0} of them");
        return now =>
        {
            if (budget <= 0 || objective.WarmingUpUntil(firstSample, now) is not null)
            {
                return Task.FromResult<IReadOnlyList<AlertObservation>>([]);
            }
            // Only the long window's samples, found by binary search in the time-ordered list.
            var start = LowerBound(at, now - rule.LongWindow.Value);
            var end = LowerBound(at, now.AddTicks(1));
            var window = new ArraySegment<SliSample>(read, start, Math.Max(0, end - start));
            return Task.FromResult<IReadOnlyList<AlertObservation>>(AlertEvaluator.BurnRate(rule, budget, window, now) is { } burn ? [new AlertObservation(rule.Labels, burn)] : []);
        };
    }

    private static int LowerBound(List<DateTimeOffset> sorted, DateTimeOffset value)
    {
        var index = sorted.BinarySearch(value);
        return index >= 0 ? index : ~index;
    }

    private static double? Worse(AlertRule rule, double? worst, double? value) =>
        worst is not { } known ? value : value is not { } observed ? known : rule.Below ? Math.Min(known, observed) : Math.Max(known, observed);

    private static BacktestResult Result(AlertRule rule, DateTimeOffset from, DateTimeOffset to, int evaluations, IReadOnlyList<FiringInterval> intervals,
        IReadOnlyDictionary<string, int> sent, int night, IReadOnlyList<string> caveats, string? notPossible = null) =>
        new(rule.Name, rule.Key, rule.Severity, rule.Source, from, to, Step, evaluations, intervals, sent, night, caveats, notPossible);
}
