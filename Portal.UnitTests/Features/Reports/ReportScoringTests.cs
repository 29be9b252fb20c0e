using Portal.Features.Reports;

namespace Portal.UnitTests.Features.Reports;

/// <summary>The report's judgements worked by hand: periods, health, score, ranking and movements.</summary>
public sealed class ReportScoringTests
{
    private static KeyMetric Metric(string name, double? current, double target, bool lowerIsBetter = true, double? previous = null) =>
        new(name, "test", "ms", current, previous, target, lowerIsBetter);

    private static ObjectiveLine Objective(string title, string status, string priority = "P1") =>
        new(title, "checkout", title, priority, "p95", "ms", 1, 1, true, status, 0.5);

    [Fact]
    public void WeeklyPeriod_IsLastMondayToMonday_InTheSubscribersTimeZone()
    {
        // Wednesday 25 Nov 2026, 01:30 in Paris (00:30 UTC): last week is Mon 16 – Mon 23 Nov, Paris time (UTC+1).
        var period = ReportPeriod.Last(ReportSchedules.Weekly, new DateTimeOffset(2026, 11, 25, 0, 30, 0, TimeSpan.Zero), "Europe/Paris");

        Assert.Equal(new DateTimeOffset(2026, 11, 16, 0, 0, 0, TimeSpan.FromHours(1)), period.Start);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.FromHours(1)), period.End);
        Assert.Equal("week of 2026-11-16", period.Name);
        Assert.Equal((new DateTimeOffset(2026, 11, 9, 0, 0, 0, TimeSpan.FromHours(1)), period.Start), (period.Previous.Start, period.Previous.End));
        var month = ReportPeriod.Last(ReportSchedules.Monthly, new DateTimeOffset(2026, 11, 1, 7, 0, 0, TimeSpan.Zero), "UTC");
        Assert.Equal(("month of October 2026", TimeSpan.FromDays(31), TimeSpan.FromDays(30)), (month.Name, month.Length, month.Previous.Length));
    }

    [Fact]
    public void SubscribedOnFriday_TheFirstReportIsDueMondayAtEight_LocalTime_WithLastWeek()
    {
        var paris = TimeSpan.FromHours(1);
        var subscription = new ReportSubscription(1, "lead", ["lead@example.com"], ReportScope.Everything, ReportSchedules.Weekly, 8, "Europe/Paris", true,
            new DateTimeOffset(2026, 11, 20, 15, 0, 0, paris));

        Assert.Null(subscription.DueAt(new DateTimeOffset(2026, 11, 21, 12, 0, 0, paris)));               // Saturday: last week predates it
        Assert.Null(subscription.DueAt(new DateTimeOffset(2026, 11, 23, 7, 59, 0, paris)));               // Monday, before eight
        var due = subscription.DueAt(new DateTimeOffset(2026, 11, 23, 8, 0, 0, paris));
        Assert.Equal("week of 2026-11-16", due!.Name);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 8, 0, 0, paris), subscription.NextSendAfter(new DateTimeOffset(2026, 11, 20, 15, 0, 0, paris)));
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 8, 0, 0, paris), subscription.NextSendAfter(new DateTimeOffset(2026, 11, 23, 8, 0, 0, paris)));
    }

    [Fact]
    public void Health_FollowsItsStatedRule()
    {
        List<KeyMetric> allMet = [Metric("API", 100, 200), Metric("Cache", 0.9, 0.8, lowerIsBetter: false)];
        List<KeyMetric> oneMissed = [Metric("API", 300, 200), Metric("Cache", 0.9, 0.8, lowerIsBetter: false)];
        List<KeyMetric> twoMissed = [Metric("API", 300, 200), Metric("Cache", 0.5, 0.8, lowerIsBetter: false)];

        Assert.Equal(ReportHealth.Good, ReportScoring.Health(allMet, [Objective("Fast", "Met")]).Health);
        Assert.Equal(ReportHealth.NeedsImprovement, ReportScoring.Health(oneMissed, []).Health);
        Assert.Equal(ReportHealth.NeedsImprovement, ReportScoring.Health(allMet, [Objective("Fast", "AtRisk")]).Health);
        Assert.Equal(ReportHealth.NeedsImprovement, ReportScoring.Health(allMet, [Objective("Fast", "Breached", "P2")]).Health);
        Assert.Equal((ReportHealth.Critical, "missed targets: API, Cache"), ReportScoring.Health(twoMissed, []));
        Assert.Equal((ReportHealth.Critical, "breached: Fast"), ReportScoring.Health(allMet, [Objective("Fast", "Breached", "P0")]));
        // A fresh install's first report: nothing measured is nothing judged, not "Good".
        Assert.Equal(ReportHealth.NoData, ReportScoring.Health([Metric("API", null, 200)], [Objective("Fast", "NoData")]).Health);
    }

    [Fact]
    public void Score_IsTheMeanOfItsParts_WorkedByHand()
    {
        // API 400 ms against ≤ 200: 50; cache 0.6 against ≥ 0.8: 75; errors met: 100; no-data metric left out;
        // objectives met 100, at risk 50, breached 0, no data left out → (50 + 75 + 100 + 100 + 50 + 0) / 6 = 62.5.
        List<KeyMetric> metrics = [Metric("API", 400, 200), Metric("Cache", 0.6, 0.8, lowerIsBetter: false), Metric("Errors", 0.001, 0.01), Metric("Vitals", null, 2500)];
        List<ObjectiveLine> objectives = [Objective("A", "Met"), Objective("B", "AtRisk"), Objective("C", "Breached"), Objective("D", "NoData")];

        var (score, parts) = ReportScoring.Score(metrics, objectives);

        Assert.Equal(62.5, score);
        Assert.Equal([50, 75, 100, 100, 50, 0], parts.Select(part => part.Points));
        Assert.Null(ReportScoring.Score([Metric("Vitals", null, 2500)], []).Score);
    }

    [Fact]
    public void Opportunities_RankedByImpact_TenAtMost_NothingWithoutImpact()
    {
        var opportunities = Enumerable.Range(1, 12).Select(index => new Opportunity("statement", $"s{index:00}", index * 1_000, "", "", ""))
            .Append(new Opportunity("index", "no statement reads it", 0, "", "", ""));

        var ranked = ReportScoring.Rank(opportunities);

        Assert.Equal(["s12", "s11", "s10", "s09", "s08", "s07", "s06", "s05", "s04", "s03"], ranked.Select(opportunity => opportunity.Title));
    }

    [Fact]
    public void Opportunities_PrioritisedByShareOfTheTotalImpact()
    {
        // 100 + 30 + 10 + 2 = 142: a fifth is 28.4 (High from there), a twentieth 7.1 (Medium from there).
        int[] impacts = [2, 100, 10, 30];
        var opportunities = impacts.Select(impact => new Opportunity("statement", $"i{impact}", impact, "", "", ""));

        var ranked = ReportScoring.Rank(opportunities);

        Assert.Equal(["i100 High", "i30 High", "i10 Medium", "i2 Low"], ranked.Select(opportunity => $"{opportunity.Title} {opportunity.Priority}"));
    }

    [Fact]
    public void Movements_SplitIntoRegressionsAndImprovements_LargestFirst()
    {
        List<Movement> moved =
        [
            new("Database", "q1 mean", "ms", 10, 15, true),      // +50 % worse
            new("Database", "q2 mean", "ms", 10, 30, true),      // +200 % worse
            new("Web Vitals", "LCP of /", "ms", 3000, 1500, true), // −50 % better
            new("Key metric", "Cache hit ratio", "ratio", 0.8, 0.6, false), // −25 % worse
            new("Key metric", "unchanged", "ms", 5, 5, true),
        ];

        var (regressions, improvements) = ReportScoring.Movements(moved);

        Assert.Equal(["q2 mean", "q1 mean", "Cache hit ratio"], regressions.Select(movement => movement.What));
        Assert.Equal(["LCP of /"], improvements.Select(movement => movement.What));
    }
}
