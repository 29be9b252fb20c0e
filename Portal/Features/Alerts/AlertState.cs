using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Portal.Features.Alerts;

public static class AlertStates
{
    public const string Inactive = "inactive";
    public const string Pending = "pending";
    public const string Firing = "firing";
}

/// <summary>An alert instance as stored: one rule and one label set.</summary>
public sealed record AlertInstance
{
    public required string Fingerprint { get; init; }
    public required string RuleKey { get; init; }
    public required string RuleName { get; init; }
    public required string Severity { get; init; }
    public required string Source { get; init; }
    public required IReadOnlyDictionary<string, string> Labels { get; init; }
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
    public string State { get; init; } = AlertStates.Inactive;
    public bool NoData { get; init; }
    public string? NoDataReason { get; init; }
    public double? Value { get; init; }
    public double Threshold { get; init; }
    public DateTimeOffset? ActiveSince { get; init; }
    public DateTimeOffset? FiringSince { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
    public DateTimeOffset LastEvaluatedAt { get; init; }

    /// <summary>The rule's summary with this alert's value in it.</summary>
    public string? Summary => Annotations.GetValueOrDefault("summary")?.Replace("{{ value }}", Format(Value), StringComparison.Ordinal);

    /// <summary>A value or threshold as messages and pages show it.</summary>
    public static string Format(double? value) => value?.ToString("0.####", CultureInfo.InvariantCulture) ?? "—";

    /// <summary>
    /// A stable identity for a rule's alert with these labels (as Alertmanager's fingerprint): the rule's key and
    /// the labels sorted by name, hashed.
    /// </summary>
    public static string FingerprintOf(AlertRule rule, IReadOnlyDictionary<string, string> labels)
    {
        var text = string.Join('\n', labels.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}={pair.Value}").Prepend(rule.Key));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}

/// <summary>
/// A value a rule read for one label set; a null value is a PromQL query that answered no series under a rule whose
/// <c>on_empty</c> is <c>fire</c> (the condition holds, with no number to show).
/// </summary>
public sealed record AlertObservation(IReadOnlyDictionary<string, string> Labels, double? Value);

/// <summary>
/// A source that answered nothing where an answer was due: a PromQL rule's query with no series (<c>on_empty:
/// no_data</c>), an objective whose Prometheus series are gone. The rule's alerts are marked no data, and its NoData
/// alert fires after <see cref="AlertEvaluation.NoDataFor"/>: absence is not health.
/// </summary>
public sealed class SourceAnsweredNothingException(string message) : Exception(message);

/// <summary>A change of an instance's state, for its timeline (and, next, its notifications).</summary>
public sealed record AlertTransition(string Fingerprint, DateTimeOffset At, string From, string To, double? Value, string? Note = null);

/// <summary>
/// The state machine of one instance, pure so that every step can be checked by hand: inactive → pending while the
/// condition holds for less than the rule's <c>for</c> → firing → inactive when it no longer holds (resolved). A
/// pending alert whose condition clears goes back to inactive without ever having fired.
/// </summary>
public static class AlertStateMachine
{
    /// <param name="value">The rule's value for this instance now; null when the source gave none for it (the condition does not hold).</param>
    /// <param name="breachesWithoutValue">The source gave no value and the rule counts that as its condition holding (<c>on_empty: fire</c>).</param>
    public static (AlertInstance Next, AlertTransition? Transition) Step(AlertInstance current, AlertRule rule, double? value, DateTimeOffset now, bool breachesWithoutValue = false)
    {
        var breaching = breachesWithoutValue || (value is { } observed && rule.Breaches(observed));
        var next = current with { Value = value, NoData = false, NoDataReason = null, LastEvaluatedAt = now };
        var (from, to) = (current.State, (current.State, breaching) switch
        {
            (AlertStates.Firing, true) => AlertStates.Firing,
            (AlertStates.Pending, true) when now - current.ActiveSince >= rule.For => AlertStates.Firing,
            (AlertStates.Pending, true) => AlertStates.Pending,
            (_, true) when rule.For <= TimeSpan.Zero => AlertStates.Firing,
            (_, true) => AlertStates.Pending,
            _ => AlertStates.Inactive,
        });
        if (from == to)
        {
            return (next, null);
        }
        next = to switch
        {
            AlertStates.Pending => next with { State = to, ActiveSince = now, FiringSince = null },
            AlertStates.Firing => next with { State = to, ActiveSince = current.State == AlertStates.Pending ? current.ActiveSince : now, FiringSince = now },
            _ => next with { State = to, ActiveSince = null, FiringSince = null, ResolvedAt = from == AlertStates.Firing ? now : current.ResolvedAt },
        };
        return (next, new AlertTransition(current.Fingerprint, now, from, to, value));
    }

    /// <summary>The source could not be read: the state stays (an alert is never resolved by silence), marked no data.</summary>
    public static AlertInstance NoData(AlertInstance current, string reason, DateTimeOffset now) =>
        current with { NoData = true, NoDataReason = reason, LastEvaluatedAt = now };
}
