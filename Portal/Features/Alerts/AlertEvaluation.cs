using Microsoft.Extensions.Options;
using Portal.Features.Jobs;

namespace Portal.Features.Alerts;

/// <summary>
/// The alert-evaluation job's work: every rule in force read now and each of its instances stepped through the state
/// machine; a series that is no longer there no longer breaches. A rule whose source cannot be read leaves its alerts
/// as they are, marked no data, and raises its own "no data" alert after <see cref="NoDataFor"/>.
/// </summary>
public sealed class AlertEvaluation(
    AlertRulesSource source, AlertEvaluator evaluator, AlertStore store, SilenceStore silences, IOptions<NotificationOptions> notifications,
    NotificationDestinations destinations, TimeProvider time,
    ILogger<AlertEvaluation> logger)
{
    public static readonly TimeSpan NoDataFor = TimeSpan.FromMinutes(5);

    public async Task<string> RunAsync(IJobProgress progress, CancellationToken cancellationToken, DateTimeOffset? at = null)
    {
        var now = at ?? time.GetUtcNow();
        var rules = source.Rules();
        var ruleSet = source.Current ?? throw new InvalidOperationException($"No alert rules are in force: {string.Join("; ", source.Errors)}");
        var existing = (await store.AllAsync(cancellationToken)).GroupBy(instance => instance.RuleKey).ToDictionary(group => group.Key, group => group.ToList());
        var (instances, transitions, unreadable) = (new List<AlertInstance>(), new List<AlertTransition>(), new List<string>());
        foreach (var (rule, index) in rules.Select((rule, index) => (rule, index)))
        {
            await progress.ReportAsync(100 * index / Math.Max(rules.Count, 1), rule.Name, cancellationToken);
            var known = existing.GetValueOrDefault(rule.Key) ?? [];
            var noDataRule = NoDataRuleOf(rule);
            var noData = existing.GetValueOrDefault(noDataRule.Key)?.SingleOrDefault() ?? NewInstance(noDataRule, noDataRule.Labels);
            IReadOnlyList<AlertObservation> observations;
            try
            {
                observations = await evaluator.ObserveAsync(rule, now, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (ex is SourceAnsweredNothingException)
                {
                    logger.LogInformation("Alert rule {Rule} has no data: {Reason}", rule.Key, ex.Message);
                }
                else
                {
                    logger.LogWarning(ex, "Alert rule {Rule} could not read its source", rule.Key);
                }
                unreadable.Add($"{rule.Key}: {ex.Message}");
                instances.AddRange(known.Select(instance => AlertStateMachine.NoData(instance, ex.Message, now)));
                Step(noDataRule, noData, 1, now, instances, transitions, note: ex.Message);
                continue;
            }
            StepRule(rule, known, observations, now, instances, transitions);
            if (noData.State != AlertStates.Inactive)
            {
                Step(noDataRule, noData, null, now, instances, transitions);
            }
        }
        var inForce = rules.SelectMany(rule => new[] { rule.Key, NoDataRuleOf(rule).Key }).ToHashSet();
        var final = existing.Values.SelectMany(group => group).Concat(instances).GroupBy(instance => instance.Fingerprint).Select(group => group.Last())
            .Where(instance => inForce.Contains(instance.RuleKey)).ToDictionary(instance => instance.Fingerprint);
        var (groups, ended, sent) = await DispatchAsync(ruleSet, final, now, cancellationToken);
        await store.SaveAsync(instances, transitions, groups, ended, sent, cancellationToken);
        var firing = instances.Count(instance => instance.State == AlertStates.Firing);
        var summary = $"{rules.Count} rules: {firing} alerts firing, {instances.Count(instance => instance.State == AlertStates.Pending)} pending, {transitions.Count} changes";
        summary += sent.Count > 0 ? $", {sent.Count} notifications queued" : "";
        return unreadable.Count == 0 ? summary : $"{summary}; no data from {string.Join("; ", unreadable)}";
    }

    // The firing alerts that are neither silenced nor inhibited, by group (rule and service, for each destination the
    // routes give), each group's step of the notification policy, and the notifications it calls for.
    private async Task<(List<AlertGroup> Groups, List<string> Ended, List<NewNotification> Notifications)> DispatchAsync(
        AlertRuleSet ruleSet, IReadOnlyDictionary<string, AlertInstance> final, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var options = notifications.Value;
        var known = await store.GroupsAsync(cancellationToken);
        // A recurring silence is in force only within its time intervals.
        var active = (await silences.ListAsync(TimeSpan.Zero, cancellationToken))
            .Where(silence => silence.ActiveAt(now) && (silence.TimeIntervals.Count == 0 || ruleSet.InAny(silence.TimeIntervals, now))).ToList();
        var allFiring = final.Values.Where(instance => instance.State == AlertStates.Firing).ToList();
        bool Muted(AlertInstance instance) => Muting.IsSilenced(instance, active, now) || Muting.IsInhibited(instance, allFiring);
        var routed = allFiring
            .SelectMany(instance => ruleSet.DestinationsOf(instance).Select(destination => (Key: NotificationPolicy.KeyOf(destination, instance), Destination: destination, Instance: instance)))
            .ToList();
        // Silenced and inhibited alerts are left out of their groups' messages; a group with nothing else says nothing.
        var firing = routed.Where(each => !Muted(each.Instance)).GroupBy(each => each.Key)
            .ToDictionary(group => group.Key, group => (group.First().Destination, Alerts: group.Select(each => each.Instance).OrderBy(instance => instance.ActiveSince).ToList()));
        var mutedGroups = routed.Where(each => Muted(each.Instance)).Select(each => each.Key).ToHashSet();
        // A route's mute time (or time outside its active times) holds what its groups would be told: the policy runs,
        // the group keeps what it was last told, and the first evaluation after the mute tells what is still due — the
        // held firing at once if the alerts still fire (alertmanager#3367), the repeat or the resolution.
        var heldByTime = firing.Where(pair => pair.Value.Alerts.All(instance => ruleSet.MutedByTime(instance, pair.Value.Destination, now))).Select(pair => pair.Key).ToHashSet();
        var (groups, ended, queued) = (new List<AlertGroup>(), new List<string>(), new List<NewNotification>());
        foreach (var key in firing.Keys.Union(known.Keys))
        {
            var before = known.GetValueOrDefault(key);
            if (!firing.ContainsKey(key) && before is not null)
            {
                // As in Alertmanager, muting never reads as a resolution: a group whose alerts still fire, all muted,
                // waits without a word; one whose alerts stopped firing under a silence ends without one.
                if (mutedGroups.Contains(key))
                {
                    continue;
                }
                var told = before.Notified.Select(final.GetValueOrDefault).OfType<AlertInstance>().ToList();
                // A resolution in a mute time waits for its end.
                if (told.Count > 0 && told.Any(instance => ruleSet.MutedByTime(instance, before.Destination, now)))
                {
                    continue;
                }
                if (told.Count > 0 && told.All(instance => Muting.IsSilenced(instance, active, now)))
                {
                    ended.Add(key);
                    continue;
                }
            }
            var (destination, alerts) = firing.TryGetValue(key, out var group) ? group : (before!.Destination, []);
            var (next, kind) = NotificationPolicy.Decide(before, key, destination, alerts, now, options);
            if (kind is not null && heldByTime.Contains(key))
            {
                // Held: a new group is kept as never told (its group wait counted from its start), an old one as it was.
                if (before is null)
                {
                    groups.Add(next! with { Notified = [], LastNotifiedAt = null, Acknowledged = null });
                }
                continue;
            }
            if (next is null)
            {
                ended.Add(key);
            }
            else if (next != before)
            {
                groups.Add(next);
            }
            if (kind is null)
            {
                continue;
            }
            var current = next ?? before!;
            var about = kind == NotificationKinds.Resolved ? before!.Notified.Select(final.GetValueOrDefault).OfType<AlertInstance>().ToList() : alerts;
            // In the destination's own format (an unknown destination's notification is kept, dead, in Slack's).
            var channel = destinations.Find(current.Destination)?.Kind ?? DestinationKinds.Slack;
            var (title, payload) = ChannelMessages.Build(channel, current.Destination, kind, current, about, key, current.FirstSeenAt, options.PortalUrl, now);
            var fingerprints = kind == NotificationKinds.Resolved ? before!.Notified : about.Select(alert => alert.Fingerprint).ToList();
            queued.Add(new NewNotification(key, current.Destination, kind, title, payload, fingerprints, current.FirstSeenAt, now));
        }
        return (groups, ended, queued);
    }

    /// <summary>
    /// One rule's step on its observations: each label set observed steps its instance (a new one for a new label set),
    /// each instance not observed steps without a value. The evaluation and the backtest both step this way.
    /// </summary>
    public static void StepRule(AlertRule rule, IReadOnlyList<AlertInstance> known, IReadOnlyList<AlertObservation> observations, DateTimeOffset now,
        List<AlertInstance> instances, List<AlertTransition> transitions)
    {
        var observed = new HashSet<string>();
        // By fingerprint: a PromQL rule may observe hundreds of series, and the backtest steps it thousands of times.
        var byFingerprint = new Dictionary<string, AlertInstance>();
        foreach (var instance in known)
        {
            byFingerprint[instance.Fingerprint] = instance;
        }
        foreach (var observation in observations)
        {
            var fingerprint = AlertInstance.FingerprintOf(rule, observation.Labels);
            observed.Add(fingerprint);
            var current = byFingerprint.GetValueOrDefault(fingerprint) ?? NewInstance(rule, observation.Labels);
            Step(rule, current with { Labels = observation.Labels, Annotations = rule.Annotations, Threshold = rule.Threshold }, observation.Value, now, instances, transitions,
                breachesWithoutValue: observation.Value is null);
        }
        foreach (var gone in known.Where(instance => !observed.Contains(instance.Fingerprint) && (instance.State != AlertStates.Inactive || instance.NoData)))
        {
            Step(rule, gone, null, now, instances, transitions);
        }
    }

    private static void Step(
        AlertRule rule, AlertInstance current, double? value, DateTimeOffset now, List<AlertInstance> instances, List<AlertTransition> transitions, string? note = null,
        bool breachesWithoutValue = false)
    {
        var (next, transition) = AlertStateMachine.Step(current, rule, value, now, breachesWithoutValue);
        instances.Add(note is null ? next : next with { NoData = true, NoDataReason = note });
        if (transition is not null)
        {
            transitions.Add(transition with { Note = note });
        }
    }

    private static AlertInstance NewInstance(AlertRule rule, IReadOnlyDictionary<string, string> labels) => new()
    {
        Fingerprint = AlertInstance.FingerprintOf(rule, labels), RuleKey = rule.Key, RuleName = rule.Name, Severity = rule.Severity, Source = rule.Source,
        Labels = labels, Annotations = rule.Annotations, Threshold = rule.Threshold,
    };

    /// <summary>The alert raised when a rule cannot read its source: "1" (unreadable) above 0 for <see cref="NoDataFor"/>.</summary>
    public static AlertRule NoDataRuleOf(AlertRule rule) => new()
    {
        Name = $"{rule.Name}NoData", Key = $"{rule.Key}/no-data", Source = rule.Source, Severity = AlertSeverities.Warning, Threshold = 0, For = NoDataFor,
        Labels = new Dictionary<string, string>(rule.Labels) { ["rule"] = rule.Key },
        Annotations = new Dictionary<string, string> { ["summary"] = $"{rule.Name} ({rule.Severity}) cannot read its {rule.Source} source: its alerts keep their last state" },
        Objective = rule.Objective,
    };
}
