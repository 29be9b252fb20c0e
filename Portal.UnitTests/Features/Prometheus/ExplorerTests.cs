using Portal.Components;
using Portal.Features.Prometheus;

namespace Portal.UnitTests.Features.Prometheus;

public sealed class ExplorerTests
{
    [Theory]
    [InlineData("http_request_duration_seconds_sum", "s")]
    [InlineData("rate(http_request_duration_seconds_count[5m])", "/s")]
    [InlineData("process_working_set_bytes", "B")]
    [InlineData("rate(node_network_receive_bytes_total[1m])", "B/s")]
    [InlineData("sum(rate(portal_job_runs_total[5m]))", "/s")]
    [InlineData("up", "")]
    [InlineData("histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))", "s")]
    public void UnitOf_MetricNamingConventions_GiveTheUnit(string query, string unit) =>
        Assert.Equal(unit, PrometheusExplorer.UnitOf(query));

    [Fact]
    public void StepFor_OneHourOnA1000PixelChart_IsAboutOnePointPer4Pixels()
    {
        var now = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        var hour = TimeRange.Parse("1h", null, null, now);

        Assert.Equal(TimeSpan.FromSeconds(15), hour.StepFor(960)); // 3600 s over 240 points
        Assert.Equal(now.AddHours(-1), hour.From);
        Assert.Equal(TimeSpan.FromSeconds(1), TimeRange.Parse("1h", null, null, now).StepFor(100_000)); // never under a second
    }

    [Fact]
    public void Parse_CustomRange_RoundTripsThroughTheQueryString()
    {
        var now = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        var custom = new TimeRange(TimeRange.Custom, now.AddDays(-3), now.AddDays(-1));

        var (key, from, to) = custom.ToQuery();

        Assert.Equal(custom, TimeRange.Parse(key, from, to, now));
        Assert.Equal("1h", TimeRange.Parse("bogus", null, null, now).Key); // an unknown range falls back to the default
        Assert.Equal("1h", TimeRange.Parse(TimeRange.Custom, "2026-11-23", "2026-11-01", now).Key); // backwards custom ranges too
    }
}
