using System.Text.Json;
using Portal.Features.Lab;
using Portal.Tests.Infrastructure;

namespace Portal.UnitTests.Features.Lab;

/// <summary>
/// The three load-test summaries the API takes, each told apart by its shape: autocannon's --json output (captured
/// from autocannon 9.0.0 against a server failing every tenth request), k6's --summary-export file and the data k6
/// gives handleSummary(), both written from k6's documented format (the figures of its "End of test" page).
/// </summary>
public sealed class LoadTestSummaryTests
{
    private static readonly DateTimeOffset ReceivedAt = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static JsonElement Fixture(string name) =>
        JsonDocument.Parse(File.ReadAllText(Repository.File($"Portal.UnitTests/Features/Lab/{name}"))).RootElement;

    [Fact]
    public void Autocannon_RealOutput_ReadAsConnectionsResponsesAndItsPercentiles()
    {
        var summary = Fixture("autocannon-9.0.0.json");

        var (run, problem) = LoadTestSummary.Parse(summary, ReceivedAt);

        Assert.Null(problem);
        Assert.Equal(LoadTestTools.Autocannon, run!.Tool);
        Assert.Equal(summary.GetProperty("connections").GetInt32(), run.Users);
        Assert.Equal(summary.GetProperty("requests").GetProperty("total").GetInt64(), run.Requests);
        Assert.Equal(summary.GetProperty("non2xx").GetInt64(), run.Errors);
        Assert.True(run.Errors > 0);
        Assert.Equal((double)run.Errors / run.Requests, run.ErrorRate);
        Assert.Equal(DateTimeOffset.Parse(summary.GetProperty("start").GetString()!, System.Globalization.CultureInfo.InvariantCulture), run.StartedAt);
        var latency = summary.GetProperty("latency");
        Assert.Equal(latency.GetProperty("p50").GetDouble(), run.P50);
        Assert.Equal(latency.GetProperty("p99").GetDouble(), run.P99);
        Assert.Null(run.P95); // autocannon has no p95: p97.5 stands for it, never kinder than p95
        Assert.Equal(("p97.5", latency.GetProperty("p97_5").GetDouble()), run.P95OrAbove);
        Assert.Null(run.ThresholdsPassed);
    }

    [Fact]
    public void K6SummaryExport_PeakVirtualUsersAndCrossedThresholdsAsFailed()
    {
        var (run, problem) = LoadTestSummary.Parse(Fixture("k6-summary-export.json"), ReceivedAt);

        Assert.Null(problem);
        Assert.Equal(LoadTestTools.K6, run!.Tool);
        Assert.Equal(20, run.Users); // vus_max, not the last vus value
        Assert.Equal(180, run.Requests);
        Assert.Equal(3, run.Errors); // http_req_failed's passes are the failed requests
        Assert.Equal(4.36938, run.Throughput);
        Assert.Equal(110.47, run.P50);
        Assert.Equal(215.95, run.P95);
        Assert.Equal(780.1, run.P99);
        Assert.Equal(41.2035, run.DurationSeconds, 6);
        Assert.Equal(ReceivedAt - TimeSpan.FromMilliseconds(41203.5), run.StartedAt);
        // --summary-export writes true for a crossed threshold (k6's documented oddity).
        Assert.False(run.Thresholds["http_req_duration: p(95)<200"]);
        Assert.True(run.Thresholds["http_req_duration: p(99)<1500"]);
        Assert.False(run.Thresholds["http_req_failed: rate<0.01"]);
        Assert.False(run.ThresholdsPassed);
    }

    [Fact]
    public void K6HandleSummaryData_ValuesNestedAndThresholdsOk()
    {
        var (run, problem) = LoadTestSummary.Parse(Fixture("k6-handle-summary.json"), ReceivedAt);

        Assert.Null(problem);
        Assert.Equal(1000, run!.Users);
        Assert.Equal(120_000, run.Requests);
        Assert.Equal(60, run.Errors);
        Assert.Equal(0.0005, run.ErrorRate);
        Assert.Equal(180.9, run.P95);
        Assert.Null(run.P99);
        Assert.True(run.ThresholdsPassed);
    }

    [Theory]
    [InlineData("""[1, 2]""", "JSON object")]
    [InlineData("""{"title": "x"}""", "neither a k6 summary")]
    [InlineData("""{"metrics": {"http_req_duration": {"med": 1}}}""", "metrics.http_reqs.count")]
    [InlineData("""{"metrics": {"http_reqs": {"count": 5}}}""", "metrics.http_req_duration")]
    [InlineData("""{"metrics": {"http_reqs": {"count": 5}, "http_req_duration": {"avg": 3}}}""", "no percentile")]
    [InlineData("""{"metrics": {"http_reqs": {"count": 5}, "http_req_duration": {"med": 3}}}""", "metrics.vus_max")]
    [InlineData("""{"metrics": {"http_reqs": {"count": 5}, "http_req_duration": {"med": 3}, "vus_max": {"max": 2}}}""", "state.testRunDurationMs")]
    [InlineData("""{"latency": {"p50": 3}, "requests": {"total": 9}, "duration": 1}""", "`connections`")]
    [InlineData("""{"latency": {"p50": 3}, "requests": {}, "connections": 2, "duration": 1}""", "requests.total")]
    [InlineData("""{"latency": {"p90": 3}, "requests": {"total": 9}, "connections": 2, "duration": 1}""", "latency.p50")]
    public void Invalid_ProblemNamesTheField(string json, string named)
    {
        var (run, problem) = LoadTestSummary.Parse(JsonDocument.Parse(json).RootElement, ReceivedAt);

        Assert.Null(run);
        Assert.Contains(named, problem, StringComparison.Ordinal);
    }
}
