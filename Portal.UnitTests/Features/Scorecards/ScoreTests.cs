using Portal.Features.Scorecards;

namespace Portal.UnitTests.Features.Scorecards;

/// <summary>An objective's score from samples worked by hand: window, previous window, daily trend and the budget's burn-down inputs.</summary>
public sealed class ScoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static readonly SlaObjective Uptime = new("shop-up", "Shop is up", "shop", "web", "P0", "7d",
        new SliSpec { Kind = SliKinds.Availability, Up = "up", Objective = 0.99 }, new SourceLocation("slas.yaml", 1, 1));

    [Fact]
    public void Score_ThisWeekAgainstLastWeek_FromDailyAndFiveMinuteSamples()
    {
        // Last week: 14 days ago to 7 days ago, one daily row a day, 96 % up. This week: 6 daily rows 99.5 % up, and
        // today's 5-minute samples with one interval down in 12.
        var samples = new List<SliSample>();
        for (var day = 13; day >= 8; day--)
        {
            samples.Add(new SliSample(Now.Date.AddDays(-day + 1), 0.96 * 288, 288) { Daily = true });
        }
        for (var day = 6; day >= 1; day--)
        {
            samples.Add(new SliSample(Now.Date.AddDays(-day + 1), 0.995 * 288, 288) { Daily = true });
        }
        samples.AddRange(Enumerable.Range(0, 12).Select(i => new SliSample(Now.AddMinutes(-5 * i), i == 3 ? 0 : 1, 1)));

        var score = Portal.Features.Scorecards.Scorecards.Score(Uptime, Portal.Features.Scorecards.Scorecards.WindowOf("7d", Now), samples, null, Now);

        var good = 6 * 0.995 * 288 + 11;
        var total = 6 * 288 + 12.0;
        Assert.Equal(good / total, score.Value!.Value, 12);
        Assert.Equal(0.96, score.PreviousValue!.Value, 12);   // the daily rows ending after 14 days ago and up to 7 days ago
        Assert.Equal(0.96, score.PreviousCompliance!.Value, 12);
        Assert.Equal(1 - (1 - good / total) / 0.01, score.Budget.Remaining!.Value, 9);
        Assert.Equal(7, score.Trend.Count);                   // six days and today
        Assert.Equal(11 / 12.0, score.Trend[^1].Value!.Value, 12);
        // The last six hours hold only today's samples: 1 bad in 12 against a 1 % budget is an 8.3× burn, over the 6× of a fast burn.
        Assert.Equal(1 / 12.0 / 0.01, score.Budget.BurnRates["6h"]!.Value, 9);
        Assert.Equal(ObjectiveStatus.AtRisk, score.Status);
    }
}
