using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Reports;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Reports;

/// <summary>
/// A stack measured by its own exporters: Prometheus has none of the request metrics the portal's names, and the
/// report's API p95 and error rate come from the services' latency and error objectives — their stored SLI samples,
/// as the scorecards read them — with the appendix saying so (it said "0 requests in Prometheus" beside three
/// objectives read from Prometheus).
/// </summary>
public sealed class ReportFromObjectivesTests : PortalOnFreshDatabase
{
    [Fact]
    public async Task KeyMetrics_WithoutThePortalsMetricNames_ComeFromTheServicesObjectives()
    {
        var week = ReportPeriod.Last(ReportSchedules.Weekly, DateTimeOffset.UtcNow, "UTC");
        var store = App.Services.GetRequiredService<SliSampleStore>();
        // One 5-minute interval of the latency SLI: 100 requests, 50 under 0.1 s, 90 under 0.5 s, all under 1 s.
        double[] le = [0.1, 0.5, 1, double.PositiveInfinity];
        var at = week.Start.AddHours(1);
        await store.WriteAsync("portal-page-latency", at - SliEvaluator.Interval, at,
            [new SliSample(at, 90, 100) { Le = le, Counts = [50, 90, 100, 100], Weight = 100 }]);
        // Two intervals of the errors SLI: 980 of 1,000 then 490 of 500 requests good.
        await store.WriteAsync("portal-error-rate", at - SliEvaluator.Interval, at.AddDays(2),
            [new SliSample(at, 980, 1_000), new SliSample(at.AddDays(2), 490, 500)]);

        var report = await App.Services.GetRequiredService<BaselineReportBuilder>().BuildAsync(new ReportScope(["portal"], [], []), week);

        var metrics = report.KeyMetrics.ToDictionary(metric => metric.Name);
        // p95: rank 95 between the 90 under 0.5 s and the 100 under 1 s: 0.5 + 0.5 × 5/10 s.
        Assert.Equal(750, metrics[BaselineReportBuilder.Names.Api].Current!.Value, 9);
        Assert.StartsWith("SLA objective portal-page-latency (http_request_duration_seconds", metrics[BaselineReportBuilder.Names.Api].Source, StringComparison.Ordinal);
        Assert.Equal(30.0 / 1_500, metrics[BaselineReportBuilder.Names.Errors].Current!.Value, 12);
        Assert.Equal("SLA objective portal-error-rate (their bad and total)", metrics[BaselineReportBuilder.Names.Errors].Source);
        Assert.Equal((1_500L, "the error SLIs of portal-error-rate", 5), (report.Coverage.Requests, report.Coverage.RequestsFrom, report.Coverage.DaysWithoutPrometheus));
    }
}
