using Portal.Features.Alerts;

namespace Portal.UnitTests.Features.Alerts;

/// <summary>Alertmanager's grouping with acknowledgement, on a clock: what an acknowledged group sends, and what clears it.</summary>
public sealed class NotificationPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly NotificationOptions Options = new() { GroupWaitSeconds = 30, GroupIntervalSeconds = 300, RepeatIntervalSeconds = 600 };

    private static AlertInstance Alert(string fingerprint) => new()
    {
        Fingerprint = fingerprint, RuleKey = "r", RuleName = "Slow", Severity = AlertSeverities.Critical, Source = "promql",
        Labels = new Dictionary<string, string> { ["service"] = "shop" }, State = AlertStates.Firing,
    };

    private static (AlertGroup? Group, string? Kind) Step(AlertGroup? group, DateTimeOffset at, params AlertInstance[] firing) =>
        NotificationPolicy.Decide(group, "slack/Slow/shop", "slack", firing, at, Options);

    [Fact]
    public void Acknowledged_NoRepeats_UntilTheAlertsChange_WhichClearsIt_AndTheResolutionIsStillSent()
    {
        var (group, kind) = Step(null, T0, Alert("a"));
        (group, kind) = Step(group, T0.AddMinutes(1), Alert("a"));
        Assert.Equal(NotificationKinds.Firing, kind);
        var acknowledged = group! with { Acknowledged = new Acknowledgement(T0.AddMinutes(2), "ana@example.com", "on it") };

        // Past the repeat interval, twice over: nothing.
        Assert.Equal((acknowledged, (string?)null), Step(acknowledged, T0.AddMinutes(12), Alert("a")));
        Assert.Equal((acknowledged, (string?)null), Step(acknowledged, T0.AddMinutes(40), Alert("a")));

        // A new alert in the group is told, and the acknowledgement no longer holds.
        var (changed, told) = Step(acknowledged, T0.AddMinutes(41), Alert("a"), Alert("b"));
        Assert.Equal(NotificationKinds.Firing, told);
        Assert.Null(changed!.Acknowledged);
        Assert.Equal(["a", "b"], changed.Notified);

        // Resolved while acknowledged: the resolution is sent.
        Assert.Equal((null, NotificationKinds.Resolved), Step(acknowledged, T0.AddMinutes(13)));
    }

    [Fact]
    public void NotAcknowledged_RepeatsAtTheRepeatInterval()
    {
        var (group, _) = Step(null, T0, Alert("a"));
        (group, _) = Step(group, T0.AddMinutes(1), Alert("a"));
        Assert.Equal((string?)null, Step(group, T0.AddMinutes(10), Alert("a")).Kind);
        Assert.Equal(NotificationKinds.Repeat, Step(group, T0.AddMinutes(11), Alert("a")).Kind);
    }
}
