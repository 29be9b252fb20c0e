using Portal.Features.Alerts;

namespace Portal.UnitTests.Features.Alerts;

/// <summary>One instance through its states, minute by minute, on a rule "above 5 for 5 minutes".</summary>
public sealed class AlertStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly AlertRule Rule = new() { Name = "Slow", Source = AlertSources.PromQl, Severity = AlertSeverities.Warning, Threshold = 5, For = TimeSpan.FromMinutes(5) };
    private static readonly AlertInstance Fresh = new()
    {
        Fingerprint = "f", RuleKey = Rule.Key, RuleName = Rule.Name, Severity = Rule.Severity, Source = Rule.Source, Labels = new Dictionary<string, string>(), Threshold = 5,
    };

    private static (AlertInstance Instance, List<AlertTransition> Transitions) Run(AlertRule rule, params double?[] values)
    {
        var (instance, transitions) = (Fresh, new List<AlertTransition>());
        foreach (var (value, minute) in values.Select((value, minute) => (value, minute)))
        {
            var (next, transition) = AlertStateMachine.Step(instance, rule, value, T0.AddMinutes(minute));
            instance = next;
            if (transition is not null)
            {
                transitions.Add(transition);
            }
        }
        return (instance, transitions);
    }

    [Fact]
    public void Breaching_PendingDuringFor_FiresWhenItHasHeldForFiveMinutes_ResolvesWhenItClears()
    {
        var (instance, transitions) = Run(Rule, 7, 7, 7, 7, 7, 7, 3);

        Assert.Equal([("inactive", "pending", T0), ("pending", "firing", T0.AddMinutes(5)), ("firing", "inactive", T0.AddMinutes(6))],
            transitions.Select(transition => (transition.From, transition.To, transition.At)));
        Assert.Equal((AlertStates.Inactive, T0.AddMinutes(6), 3d), (instance.State, instance.ResolvedAt!.Value, instance.Value!.Value));
    }

    [Fact]
    public void Firing_KeepsWhenItStartedBeingActive()
    {
        var (instance, _) = Run(Rule, 7, 7, 7, 7, 7, 8);

        Assert.Equal((AlertStates.Firing, T0, T0.AddMinutes(5), 8d), (instance.State, instance.ActiveSince!.Value, instance.FiringSince!.Value, instance.Value!.Value));
    }

    [Fact]
    public void PendingThatClears_GoesBackWithoutHavingFired()
    {
        var (instance, transitions) = Run(Rule, 7, 7, 5, 7);

        Assert.Equal(["inactive→pending", "pending→inactive", "inactive→pending"], transitions.Select(transition => $"{transition.From}→{transition.To}"));
        Assert.Equal((AlertStates.Pending, T0.AddMinutes(3)), (instance.State, instance.ActiveSince!.Value));
        Assert.Null(instance.ResolvedAt); // it never fired
    }

    [Fact]
    public void WithoutFor_FiresAtOnce_AndBelowRulesFireUnder()
    {
        var below = Rule with { Below = true, Threshold = 0.6, For = TimeSpan.Zero };

        var (instance, transitions) = Run(below, 0.7, 0.55);

        Assert.Equal(["inactive→firing"], transitions.Select(transition => $"{transition.From}→{transition.To}"));
        Assert.Equal(AlertStates.Firing, instance.State);
    }

    [Fact]
    public void NoData_KeepsTheStateAndSaysWhy()
    {
        var (firing, _) = Run(Rule with { For = TimeSpan.Zero }, 7);

        var unread = AlertStateMachine.NoData(firing, "Prometheus unreachable", T0.AddMinutes(1));

        Assert.Equal((AlertStates.Firing, true, "Prometheus unreachable"), (unread.State, unread.NoData, unread.NoDataReason));
    }
}
