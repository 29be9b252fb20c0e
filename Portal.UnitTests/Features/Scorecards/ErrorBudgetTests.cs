using Portal.Features.Scorecards;

namespace Portal.UnitTests.Features.Scorecards;

/// <summary>Error budgets on hand-worked cases: 28 days of one-minute uptime samples at 99.5 % (40,320 minutes, 201.6 allowed bad).</summary>
public sealed class ErrorBudgetTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromDays(28);

    /// <summary>A minute per sample over the window; minutes for which <paramref name="bad"/> is true were down.</summary>
    private static List<SliSample> Minutes(Func<int, bool> bad) =>
        Enumerable.Range(0, 40_320).Select(minute => new SliSample(Now.AddMinutes(-minute), bad(minute) ? 0 : 1, 1)).ToList();

    [Fact]
    public void OldBadMinutes_HalfTheBudgetUsed_NotBurning_Met()
    {
        // 100 bad minutes ten days ago.
        var samples = Minutes(minute => minute >= 14_400 && minute < 14_500);

        var report = ErrorBudget.Evaluate(0.995, Now - Window, Now, Now, samples);

        Assert.Equal(1 - 100.0 / 40_320, report.Compliance!.Value, 12);
        Assert.Equal(100 / 201.6, report.Consumed!.Value, 9);           // 0.49603…
        Assert.Equal(1 - 100 / 201.6, report.Remaining!.Value, 9);      // 0.50397…
        Assert.Equal(0, report.BurnRates["1d"]);
        Assert.Null(report.RunsOutAt);
        Assert.Equal(ObjectiveStatus.Met, report.Status);
    }

    [Fact]
    public void BadMinutesToday_RunsOutWithinTheWindow_AtRisk_OnTheWorkedDate()
    {
        // 100 bad minutes ten days ago, and 60 in the last day (but none in the last 6 hours).
        var samples = Minutes(minute => minute >= 14_400 && minute < 14_500 || minute >= 400 && minute < 460);

        var report = ErrorBudget.Evaluate(0.995, Now - Window, Now, Now, samples);

        var burn = 60.0 / 1_440 / 0.005;             // 8.333…: the last day used 8.3 days' worth of budget
        var remaining = 1 - 160 / 201.6;             // 0.20635…
        Assert.Equal(burn, report.BurnRates["1d"]!.Value, 9);
        Assert.Equal(0, report.BurnRates["6h"]);
        Assert.Equal(remaining, report.Remaining!.Value, 9);
        // The remaining 20.6 % of a 28-day budget lasts 28 d × 0.20635 / 8.333 = 16.64 hours at that rate.
        Assert.Equal(Now + Window * (remaining / burn), report.RunsOutAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 4, 38, 24, TimeSpan.Zero), new DateTimeOffset(report.RunsOutAt!.Value.Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero));
        Assert.Equal(ObjectiveStatus.AtRisk, report.Status);
    }

    [Fact]
    public void MoreBadThanTheBudget_Breached()
    {
        var samples = Minutes(minute => minute >= 20_000 && minute < 20_250);

        var report = ErrorBudget.Evaluate(0.995, Now - Window, Now, Now, samples);

        Assert.Equal(250 / 201.6, report.Consumed!.Value, 9);
        Assert.True(report.Remaining < 0);
        Assert.Equal(ObjectiveStatus.Breached, report.Status);
    }

    [Fact]
    public void FastBurnInTheLastHour_AtRiskThoughMostOfTheBudgetIsLeft()
    {
        // 30 bad minutes in the last hour: a burn of 100 (half the hour bad, against 0.5 % allowed).
        var samples = Minutes(minute => minute < 30);

        var report = ErrorBudget.Evaluate(0.995, Now - Window, Now, Now, samples);

        Assert.Equal(100, report.BurnRates["1h"]!.Value, 9);
        Assert.True(report.Remaining > 0.8);
        Assert.Equal(ObjectiveStatus.AtRisk, report.Status);
    }

    [Fact]
    public void NoSamples_NoData_NeverMet()
    {
        var report = ErrorBudget.Evaluate(0.995, Now - Window, Now, Now, []);

        Assert.Equal((ObjectiveStatus.NoData, (double?)null, (double?)null), (report.Status, report.Compliance, report.Remaining));
    }

    [Fact]
    public void CalendarMonth_TheBudgetMustLastUntilTheMonthEnds()
    {
        // November has 30 days; on the 23rd at noon 22.5 days (32,400 minutes) are gone and 7.5 are left.
        // 50 bad minutes a week ago and 20 in the last day: 70 of 32,400 bad.
        var monthStart = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var monthEnd = monthStart.AddMonths(1);
        var samples = Enumerable.Range(0, 32_400)
            .Select(minute => new SliSample(Now.AddMinutes(-minute), minute is >= 10_080 and < 10_130 or >= 600 and < 620 ? 0 : 1, 1)).ToList();

        var report = ErrorBudget.Evaluate(0.995, monthStart, monthEnd, Now, samples);

        var remaining = 1 - 70.0 / 32_400 / 0.005;   // 0.5679…
        var burn = 20.0 / 1_440 / 0.005;             // 2.777…
        Assert.Equal(remaining, report.Remaining!.Value, 9);
        Assert.Equal(burn, report.BurnRates["1d"]!.Value, 9);
        // 30 d × 0.5679 / 2.778 = 6.13 days: before the month ends in 7.5.
        Assert.Equal(Now + TimeSpan.FromDays(30) * (remaining / burn), report.RunsOutAt);
        Assert.True(report.RunsOutAt < monthEnd);
        Assert.Equal(ObjectiveStatus.AtRisk, report.Status);
    }

    [Theory]
    [InlineData(0, ObjectiveStatus.Met, 0d)]
    [InlineData(1, ObjectiveStatus.Breached, 1d)]
    public void HundredPercentObjective_NoBudget_OneBadMinuteSpendsIt(int badMinutes, ObjectiveStatus status, double consumed)
    {
        var samples = Minutes(minute => minute < badMinutes);

        var report = ErrorBudget.Evaluate(1, Now - Window, Now, Now, samples);

        Assert.Equal((status, consumed, 0d), (report.Status, report.Consumed!.Value, report.Budget));
        Assert.All(report.BurnRates.Values, rate => Assert.True(rate is null or 0, "a burn rate without a budget is no number"));
        Assert.Equal(badMinutes == 0 ? 0 : null, report.BurnRates["1h"]);
    }
}
