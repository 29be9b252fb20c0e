using Portal.Features.Alerts;

namespace Portal.UnitTests.Features.Alerts;

/// <summary>alerts.yaml's time_intervals with Alertmanager's semantics, read and evaluated at chosen instants.</summary>
public sealed class TimeIntervalsTests
{
    private static AlertRuleSet Read(string yaml)
    {
        var (rules, errors) = new AlertRulesReader("alerts.yaml").Read(yaml);
        Assert.Empty(errors);
        return rules!;
    }

    private const string BusinessHours = """
        time_intervals:
          - name: business-hours
            time_intervals:
              - weekdays: ['monday:friday']
                times: [{ start_time: '09:00', end_time: '17:00' }]
                location: Europe/Paris
          - name: weekends
            time_intervals: [{ weekdays: [saturday, sunday] }]
          - name: month-end
            time_intervals: [{ days_of_month: ['-3:-1'], months: ['january:march', '12'] }]
        rules: []
        notifications:
          default: slack
          routes:
            - { match: { team: web }, to: slack, active_time_intervals: [business-hours] }
            - { match: { team: db }, to: slack, mute_time_intervals: [weekends] }
        """;

    [Theory]
    [InlineData("2026-12-01T08:00:00Z", true)]   // Tuesday 09:00 in Paris (UTC+1): the start is in
    [InlineData("2026-12-01T15:59:00Z", true)]   // 16:59 Paris
    [InlineData("2026-12-01T16:00:00Z", false)]  // 17:00 Paris: the end is out
    [InlineData("2026-12-05T10:00:00Z", false)]  // Saturday
    [InlineData("2026-07-01T07:00:00Z", true)]   // summer: 09:00 Paris is 07:00 UTC
    public void BusinessHours_InTheirLocation(string instant, bool within) =>
        Assert.Equal(within, Read(BusinessHours).TimeIntervals["business-hours"].Contains(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("2026-12-29T12:00:00Z", true)]   // three days before December's end
    [InlineData("2026-12-28T23:59:00Z", false)]
    [InlineData("2026-02-26T00:00:00Z", true)]   // February 2026 has 28 days: the 26th is its third-to-last
    [InlineData("2026-04-29T00:00:00Z", false)]  // April is not in the months
    public void DaysOfMonth_CountBackFromTheMonthsEnd(string instant, bool within) =>
        Assert.Equal(within, Read(BusinessHours).TimeIntervals["month-end"].Contains(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Routes_MuteAndActiveTimes_ApplyToTheirDestinations()
    {
        var rules = Read(BusinessHours);
        AlertInstance Alert(string team) => new()
        {
            Fingerprint = team, RuleKey = "r", RuleName = "Slow", Severity = AlertSeverities.Warning, Source = "promql",
            Labels = new Dictionary<string, string> { ["team"] = team },
        };
        var tuesdayNight = DateTimeOffset.Parse("2026-12-01T22:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var saturday = DateTimeOffset.Parse("2026-12-05T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(rules.MutedByTime(Alert("web"), "slack", tuesdayNight));   // outside its active times
        Assert.False(rules.MutedByTime(Alert("web"), "slack", tuesdayNight.AddHours(-12)));
        Assert.True(rules.MutedByTime(Alert("db"), "slack", saturday));         // in its mute times
        Assert.False(rules.MutedByTime(Alert("db"), "slack", tuesdayNight));
        Assert.False(rules.MutedByTime(Alert("shop"), "slack", saturday));      // the default route has none
    }

    [Theory]
    [InlineData("time_intervals:\n  - name: x\n    time_intervals: [{ location: Mars/Olympus }]\n", "Mars/Olympus", "time interval 'x': unknown location 'Mars/Olympus' (an IANA time zone such as Europe/Paris)")]
    [InlineData("time_intervals:\n  - name: x\n    time_intervals: [{ times: [{ start_time: '17:00', end_time: '09:00' }] }]\n", "{ start_time", "time interval 'x': times are { start_time: 'HH:MM', end_time: 'HH:MM' }, the start before the end (24:00 ends the day)")]
    [InlineData("time_intervals:\n  - name: x\n    time_intervals: [{ weekdays: [funday] }]\n", "funday", "time interval 'x': weekdays are weekday names such as monday or monday:friday, not 'funday'")]
    [InlineData("notifications:\n  routes:\n    - { match: { team: a }, to: slack, mute_time_intervals: [nights] }\n", "nights", "route 1: mute_time_intervals names 'nights', which `time_intervals` does not define")]
    public void Read_InvalidIntervals_NameTheProblemWhereItIs(string yaml, string at, string message)
    {
        var (rules, errors) = new AlertRulesReader("alerts.yaml").Read(yaml);
        Assert.Null(rules);
        var error = Assert.Single(errors);
        var index = yaml.IndexOf(at, StringComparison.Ordinal);
        var line = yaml[..index].Count(character => character == '\n') + 1;
        Assert.Equal((line, message), (error.Location.Line, error.Message));
    }
}
