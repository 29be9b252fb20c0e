using Portal.Features.Lab;

namespace Portal.UnitTests.Features.Lab;

/// <summary>"Ready for 1,000+ users", worked by hand: the latest run at the user count decides, on p95 (or above), errors and thresholds.</summary>
public sealed class ReadinessRuleTests
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static LoadTestRecord Run(long id, int day, int users, double p95, long errors = 0, Dictionary<string, bool>? thresholds = null, string percentile = "p95") =>
        new(id, "shop", "checkout", Monday.AddDays(day), new LoadTestRun("k6", Monday.AddDays(day), 300, users, 100_000, errors, 333,
            new Dictionary<string, double> { ["p50"] = p95 / 2, [percentile] = p95 }, thresholds ?? []));

    [Fact]
    public void LatestRunAtTheUserCount_MetEveryTarget_Yes()
    {
        var readiness = ReadinessRule.Judge([Run(1, 0, 1_500, 900), Run(2, 2, 1_000, 150), Run(3, 4, 200, 5_000)], 1_000, 200, 0.001);

        Assert.Equal(ReadinessVerdicts.Yes, readiness.Verdict);
        Assert.Equal(2, readiness.Run!.Id); // the run at 200 users is later, but under the count
        Assert.Equal("checkout at 1,000 concurrent users (k6, 2026-11-25): p95 150 ms, error rate 0 %", readiness.Reason);
    }

    [Fact]
    public void LatestRunMissed_NoNamingEachMiss()
    {
        var readiness = ReadinessRule.Judge([Run(1, 0, 1_000, 150), Run(2, 3, 2_000, 250, errors: 500, thresholds: new() { ["http_req_failed: rate<0.001"] = false })], 1_000, 200, 0.001);

        Assert.Equal(ReadinessVerdicts.No, readiness.Verdict);
        Assert.Equal("checkout at 2,000 concurrent users (k6, 2026-11-26): p95 250 ms over the 200 ms target; error rate 0.5 % over the 0.1 % target; "
            + "its threshold http_req_failed: rate<0.001 failed", readiness.Reason);
    }

    [Fact]
    public void NoP95_TheNextPercentileAboveStandsIn_NeverABelowOne()
    {
        var withP90Only = Run(1, 0, 1_000, 100, percentile: "p90");
        var withP975 = Run(2, 1, 1_000, 210, percentile: "p97.5");

        Assert.Equal(ReadinessVerdicts.No, ReadinessRule.Judge([withP90Only], 1_000, 200, 0.01).Verdict); // p90 cannot vouch for p95
        Assert.Contains("p97.5 210 ms over the 200 ms target", ReadinessRule.Judge([withP975], 1_000, 200, 0.01).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void NoRunAtTheUserCount_NotTested_NamingTheLargest()
    {
        Assert.Equal("no load test in the period; the verdict needs a run at 1,000+ concurrent users", ReadinessRule.Judge([], 1_000, 200, 0.01).Reason);
        var readiness = ReadinessRule.Judge([Run(1, 0, 100, 50), Run(2, 1, 800, 90)], 1_000, 200, 0.01);
        Assert.Equal(ReadinessVerdicts.NotTested, readiness.Verdict);
        Assert.Equal("the largest load test had 800 concurrent users (checkout, k6); the verdict needs 1,000+", readiness.Reason);
    }
}
