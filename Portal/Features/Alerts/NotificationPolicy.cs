using Portal.Components;
namespace Portal.Features.Alerts;

/// <summary>
/// A notification group: one rule's firing alerts for one service and destination, what was last sent about them, and
/// who acknowledged them (null: nobody, or the alerts changed since).
/// </summary>
public sealed record AlertGroup(
    string GroupKey, string Destination, string RuleName, string Service, IReadOnlyList<string> Notified, DateTimeOffset FirstSeenAt, DateTimeOffset? LastNotifiedAt,
    Acknowledgement? Acknowledged = null);

/// <summary>Someone is on it: who, when, and what they said.</summary>
public sealed record Acknowledgement(DateTimeOffset At, string By, string? Note);

public static class NotificationKinds
{
    public const string Firing = "firing";
    public const string Repeat = "repeat";
    public const string Resolved = "resolved";
    public const string Test = "test";

    /// <summary>Told to the destinations that track acknowledgement themselves (PagerDuty, Opsgenie).</summary>
    public const string Acknowledged = "acknowledged";
}

/// <summary>
/// Alertmanager's grouping, pure: a new group waits <c>group_wait</c> for its alerts to gather, then is notified; a
/// change in its firing alerts is told at most every <c>group_interval</c>; an unchanged group is told again every
/// <c>repeat_interval</c>; when nothing fires any more, one resolved notification (if it was ever notified) ends it.
/// An acknowledged group sends no repeats; a change in its alerts is told (and clears the acknowledgement).
/// </summary>
public static class NotificationPolicy
{
    public static string KeyOf(string destination, AlertInstance alert) => $"{destination}/{alert.RuleName}/{ServiceOf(alert)}";

    public static string ServiceOf(AlertInstance alert) => alert.Labels.GetValueOrDefault("service") ?? "";

    /// <returns>The group after this step (null: the group ended) and the kind of notification to send now (null: none).</returns>
    public static (AlertGroup? Group, string? Kind) Decide(
        AlertGroup? group, string key, string destination, IReadOnlyList<AlertInstance> firing, DateTimeOffset now, NotificationOptions options)
    {
        if (firing.Count == 0)
        {
            return group is { Notified.Count: > 0 } && options.SendResolved ? (null, NotificationKinds.Resolved) : (null, null);
        }
        group ??= new AlertGroup(key, destination, firing[0].RuleName, ServiceOf(firing[0]), [], now, null);
        var current = firing.Select(alert => alert.Fingerprint).Order(StringComparer.Ordinal).ToList();
        if (group.LastNotifiedAt is not { } last)
        {
            return now - group.FirstSeenAt >= options.GroupWait ? (Notified(group, current, now), NotificationKinds.Firing) : (group, null);
        }
        if (!current.SequenceEqual(group.Notified))
        {
            return now - last >= options.GroupInterval ? (Notified(group, current, now), NotificationKinds.Firing) : (group, null);
        }
        if (group.Acknowledged is not null)
        {
            return (group, null);
        }
        return now - last >= options.RepeatInterval ? (Notified(group, current, now), NotificationKinds.Repeat) : (group, null);
    }

    private static AlertGroup Notified(AlertGroup group, IReadOnlyList<string> firing, DateTimeOffset now) =>
        group with { Notified = firing, LastNotifiedAt = now, Acknowledged = firing.SequenceEqual(group.Notified) ? group.Acknowledged : null };
}

/// <summary>A notification to write to the outbox: of a group's episode (its first-seen instant), about some alerts (their fingerprints).</summary>
public sealed record NewNotification(
    string GroupKey, string Destination, string Kind, string Title, string Payload, IReadOnlyList<string> Fingerprints, DateTimeOffset Episode, DateTimeOffset At);

/// <summary>What the notification history and <c>GET /api/v1/alerts/notifications</c> narrow the outbox by; null is any.</summary>
public sealed record NotificationFilter(
    string? Status = null, DateTimeOffset? Since = null, string? Destination = null, string? Fingerprint = null, string? Text = null, int Limit = 200)
{
    public static readonly IReadOnlyList<string> Statuses = ["pending", "sent", "dead"];

    /// <summary>The periods the history page offers; the API takes the same, or an ISO-8601 instant.</summary>
    public static readonly IReadOnlyList<string> SincePeriods = ["24h", "7d", "30d", "all"];

    public const string SinceHelp = "since is 24h, 7d, 30d, all, or an ISO-8601 instant such as 2026-11-23T08:00:00Z.";

    /// <summary>One reading of <c>since</c> for the page and the API: a period back from <paramref name="now"/>, "all" (null), or an instant.</summary>
    public static bool TryParseSince(string since, DateTimeOffset now, out DateTimeOffset? from)
    {
        from = since switch
        {
            "24h" => now.AddHours(-24),
            "7d" => now.AddDays(-7),
            "30d" => now.AddDays(-30),
            "all" => null,
            _ when Instants.TryParse(since, out var instant) && instant is { } at => at,
            _ => DateTimeOffset.MinValue,
        };
        return from != DateTimeOffset.MinValue;
    }
}

/// <summary>A notification as the outbox holds it: pending until sent, or dead once given up.</summary>
public sealed record AlertNotification
{
    public long Id { get; init; }
    public string GroupKey { get; init; } = "";
    public string Destination { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Title { get; init; } = "";
    public string Payload { get; init; } = "";
    public int Alerts { get; init; }
    public string Status { get; init; } = "";
    public int Attempts { get; init; }
    public DateTimeOffset NextAttemptAt { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? SentAt { get; init; }
    public DateTimeOffset? Episode { get; init; }
    public string[] Fingerprints { get; init; } = [];

    /// <summary>Where Slack's Web API put it (bot-token destinations): the thread of its episode.</summary>
    public string? SlackChannel { get; init; }
    public string? SlackTs { get; init; }

    /// <summary>When an admin last sent a dead notification back to the outbox (its give-up clock starts again).</summary>
    public DateTimeOffset? RetriedAt { get; init; }
}
