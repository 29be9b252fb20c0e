using Microsoft.Extensions.Options;
using Portal.Features.Prometheus;
using Portal.Features.Reports.Sections;
using Portal.Features.Scorecards;

namespace Portal.Features.Reports;

/// <summary>
/// Computes a baseline report from the portal's own data for a scope and a period: the key metrics against their
/// targets and the period before, the SLA objectives in scope, the critical findings, the ranked opportunities, the
/// largest movements and the detailed analysis — one section per source (<see cref="IReportSection"/>), each reading
/// through the feature that owns it. A source that cannot be read leaves its figures empty and is named in the
/// appendix; the others go on.
/// </summary>
public sealed class BaselineReportBuilder(
    IEnumerable<IReportSection> sections, IOptions<ReportOptions> options, IOptions<Lab.LabOptions> lab, TimeProvider time, ILogger<BaselineReportBuilder> logger)
{
    public async Task<BaselineReport> BuildAsync(ReportScope scope, ReportPeriod period, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var draft = new ReportDraft();
        foreach (var read in sections.SelectMany(section => section.Reads(scope, period, draft, cancellationToken)))
        {
            await ReadAsync(read, draft);
        }
        draft.Figures[Names.Database] = (Mean(draft.Database), Mean(draft.DatabaseBefore));

        KeyMetric Metric(string name, string source, string unit, double target, bool lowerIsBetter)
        {
            var (current, previous) = draft.Figures.GetValueOrDefault(name);
            return new KeyMetric(name, draft.Sources.GetValueOrDefault(name, source), unit, current, previous, target, lowerIsBetter);
        }
        var metrics = new List<KeyMetric>
        {
            Metric(Names.PageLoad, "Web Vitals (LCP p95)", "ms", settings.PageLoadP95TargetMs, true),
            Metric(Names.Api, "Prometheus", "ms", settings.ApiP95TargetMs, true),
            // The template asks for the P90: pg_stat_statements keeps sums, not distributions, so the mean per call stands in.
            Metric(Names.Database, "query statistics: mean per call (pg_stat_statements keeps no percentiles: no P90)", "ms", settings.QueryMeanTargetMs, true),
            Metric(Names.Lighthouse, "Lighthouse performance, the lowest of the critical pages", "", lab.Value.LighthouseTarget, false),
            Metric(Names.Errors, "Prometheus", "ratio", settings.ErrorRateTarget, true),
            Metric(Names.Cache, "Redis", "ratio", settings.CacheHitRatioTarget, false),
        };
        draft.Movements.AddRange(metrics.Where(metric => metric.Current is not null && metric.Previous is not null)
            .Select(metric => new Movement("Key metric", metric.Name, metric.Unit, metric.Previous!.Value, metric.Current!.Value, metric.LowerIsBetter)));
        var objectives = draft.Objectives; // breached first, then by priority (ObjectivesSection)
        var (health, reason) = ReportScoring.Health(metrics, objectives);
        var (score, parts) = ReportScoring.Score(metrics, objectives);
        var (regressions, improvements) = ReportScoring.Movements(draft.Movements);
        var days = period.Days;
        var daily = days.Select(day => draft.Daily.TryGetValue(day, out var point) ? new DailyPoint(day, point.Api, point.PageLoad) : new DailyPoint(day, null, null)).ToList();
        return new BaselineReport(
            ScopeLabel(scope), scope, period, time.GetUtcNow(), health, reason, score, parts, metrics, objectives, draft.Findings,
            ReportScoring.Rank(draft.Opportunities), regressions, improvements,
            draft.Details.OrderBy(section => Array.IndexOf(Areas, section.Area)).ToList(), daily,
            new DataCoverage(draft.PageViews, draft.DaysWithoutPrometheus, days.Count, draft.Snapshots, draft.Requests, draft.Gaps) { RequestsFrom = draft.RequestsFrom })
        {
            Readiness = draft.Readiness, TestConfigurations = draft.TestConfigurations, RawData = draft.RawData,
        };
    }

    private static double? Mean((long Calls, double TimeMs) sums) => sums.Calls > 0 ? sums.TimeMs / sums.Calls : null;

    public static class Names
    {
        public const string PageLoad = "Page load p95";
        public const string Api = "API response p95";
        public const string Database = "Database query time";
        public const string Errors = "Error rate";
        public const string Cache = "Cache hit ratio";
        public const string Lighthouse = "Lighthouse score";
    }

    private static readonly string[] Areas = ["API", "Database", "Frontend", "Infrastructure"];

    public static string ScopeLabel(ReportScope scope)
    {
        var named = scope.Services.Concat(scope.Apps).Concat(scope.Targets).Distinct().ToList();
        return named.Count == 0 ? "all services" : string.Join(", ", named);
    }

    private async Task ReadAsync(ReportRead read, ReportDraft draft)
    {
        var source = read.Source;
        try
        {
            await read.Read();
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or PrometheusUnavailableException or PrometheusQueryException or TimeoutException or HttpRequestException)
        {
            logger.LogWarning(ex, "The report could not read {Source}", source);
            draft.Gaps.Add($"{source}: {ex.Message}");
        }
    }
}
