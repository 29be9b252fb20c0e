using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Portal.Components;
using Portal.Features.Prometheus;
using static Portal.Features.Reports.BaselineReportBuilder;

namespace Portal.Features.Reports.Sections;

/// <summary>Prometheus: the API's p95 and error rate, requests by service, the portal cache's categories.</summary>
internal sealed partial class PrometheusSection(PrometheusClient prometheus, IOptions<ReportOptions> options) : IReportSection
{
    public IEnumerable<ReportRead> Reads(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        yield return new("Prometheus", () => PrometheusAsync(scope, period, draft, cancellationToken));
    }

    // Prometheus: p95 and error rate over the whole period (increase over the period, evaluated at its end), per
    // service for the detail, per day for the chart, and the portal cache's categories.
    private async Task PrometheusAsync(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var matcher = scope.Services.Count == 0 ? "" : $"{settings.ServiceLabel}=~\"{string.Join('|', scope.Services.Select(PromRegex))}\"";
        string Selector(params string[] more) => "{" + string.Join(", ", new[] { matcher }.Concat(more).Where(part => part.Length > 0)) + "}";
        var range = $"{(long)period.Length.TotalSeconds}s";
        var label = settings.ServiceLabel;

        async Task<IReadOnlyList<PrometheusSeries>> AtAsync(string query, DateTimeOffset at) =>
            (await prometheus.QueryAsync(query, at, cancellationToken: cancellationToken)).Result.Series.Where(series => series.Samples.Count > 0 && double.IsFinite(series.Samples[^1].Value)).ToList();
        async Task<double?> ScalarAsync(string query, DateTimeOffset at) => (await AtAsync(query, at)) is [var only, ..] ? only.Samples[^1].Value : null;

        var p95 = $"histogram_quantile(0.95, sum by (le) (increase({settings.RequestDurationMetric}_bucket{Selector()}[{range}])))";
        var requests = $"sum(increase({settings.RequestsMetric}{Selector()}[{range}]))";
        var errors = $"sum(increase({settings.RequestsMetric}{Selector("code=~\"5..\"")}[{range}]))";
        var (api, apiBefore) = (await ScalarAsync(p95, period.End), await ScalarAsync(p95, period.Start));
        draft.Figures[Names.Api] = (api * 1000, apiBefore * 1000);
        var (total, totalBefore) = (await ScalarAsync(requests, period.End), await ScalarAsync(requests, period.Start));
        var (failed, failedBefore) = (await ScalarAsync(errors, period.End) ?? 0, await ScalarAsync(errors, period.Start) ?? 0);
        draft.Figures[Names.Errors] = (total > 0 ? failed / total : null, totalBefore > 0 ? failedBefore / totalBefore : null);
        draft.Requests = (long)Math.Round(total ?? 0);

        // Per day: the chart's API p95, and the days without a single request sample (no Prometheus data).
        var dailyP95 = await prometheus.QueryRangeAsync($"histogram_quantile(0.95, sum by (le) (increase({settings.RequestDurationMetric}_bucket{Selector()}[1d])))",
            period.Start.AddDays(1), period.End, TimeSpan.FromDays(1), cancellationToken: cancellationToken);
        foreach (var sample in dailyP95.Result.Series.SelectMany(series => series.Samples).Where(sample => double.IsFinite(sample.Value)))
        {
            var day = sample.Timestamp.AddDays(-1);
            draft.Daily[day] = (sample.Value * 1000, draft.Daily.GetValueOrDefault(day).PageLoad);
        }
        var dailyRequests = await prometheus.QueryRangeAsync($"sum(count_over_time({settings.RequestsMetric}{Selector()}[1d]))",
            period.Start.AddDays(1), period.End, TimeSpan.FromDays(1), cancellationToken: cancellationToken);
        draft.DaysWithoutPrometheus = period.Days.Count - dailyRequests.Result.Series.SelectMany(series => series.Samples).Count(sample => sample.Value > 0);

        // Per service.
        var byService = await AtAsync($"histogram_quantile(0.95, sum by (le, {label}) (increase({settings.RequestDurationMetric}_bucket{Selector()}[{range}])))", period.End);
        var requestsByService = (await AtAsync($"sum by ({label}) (increase({settings.RequestsMetric}{Selector()}[{range}]))", period.End))
            .ToDictionary(series => series.Labels.GetValueOrDefault(label) ?? "", series => series.Samples[^1].Value);
        var errorsByService = (await AtAsync($"sum by ({label}) (increase({settings.RequestsMetric}{Selector("code=~\"5..\"")}[{range}]))", period.End))
            .ToDictionary(series => series.Labels.GetValueOrDefault(label) ?? "", series => series.Samples[^1].Value);
        var rows = byService.Select(series =>
        {
            var service = series.Labels.GetValueOrDefault(label) ?? "";
            var count = requestsByService.GetValueOrDefault(service);
            var share = count > 0 ? errorsByService.GetValueOrDefault(service) / count : (double?)null;
            return new DetailRow(service, [Figures.Format(series.Samples[^1].Value * 1000, "ms"), count.ToString("N0", CultureInfo.InvariantCulture), Figures.Format(share, "ratio")]);
        }).OrderBy(row => row.Name, StringComparer.Ordinal).ToList();
        draft.Details.Add(new DetailSection("API", "Requests by service", ["Service", "p95", "Requests", "Errors (5xx)"], rows,
            "Prometheus has no request-duration histogram for these services in this period."));

        // The portal's cache categories: hit ratio, and the compute time their misses cost (what better caching could save).
        var lookups = await AtAsync($"sum by (category, tier) (increase(portal_cache_lookups_total{Selector()}[{range}]))", period.End);
        var computeSeconds = (await AtAsync($"sum by (category) (increase(portal_cache_compute_seconds_total{Selector()}[{range}]))", period.End))
            .ToDictionary(series => series.Labels.GetValueOrDefault("category") ?? "", series => series.Samples[^1].Value);
        var categoryRows = new List<DetailRow>();
        foreach (var category in lookups.GroupBy(series => series.Labels.GetValueOrDefault("category") ?? "").OrderBy(group => group.Key, StringComparer.Ordinal))
        {
            var all = category.Sum(series => series.Samples[^1].Value);
            var missed = category.Where(series => series.Labels.GetValueOrDefault("tier") == "computed").Sum(series => series.Samples[^1].Value);
            if (all <= 0)
            {
                continue;
            }
            var ratio = 1 - missed / all;
            var computeMs = computeSeconds.GetValueOrDefault(category.Key) * 1000;
            categoryRows.Add(new DetailRow(category.Key, [Figures.Format(ratio, "ratio"), all.ToString("N0", CultureInfo.InvariantCulture), Durations.Milliseconds(computeMs)], PortalLinks.Cache));
            if (ratio < settings.CacheHitRatioTarget && computeMs > 0)
            {
                draft.Opportunities.Add(new Opportunity("cache", $"Cache category {category.Key} answers {ratio:P0} of reads, under {settings.CacheHitRatioTarget:P0}",
                    computeMs, $"{Durations.Milliseconds(computeMs)} computing {missed:N0} misses", PortalLinks.Cache,
                    "Lengthen its expiry or warm it before use; check that its keys do not vary with what does not change the result."));
            }
        }
        draft.Details.Add(new DetailSection("Infrastructure", "The portal's cache by category", ["Category", "Hit ratio", "Reads", "Compute time on misses"], categoryRows,
            "No cache lookups were recorded in this period."));
    }

    // RE2 needs its metacharacters escaped in a label regex; a service name rarely has any.
    private static string PromRegex(string value) => PromMeta().Replace(value, @"\\$0");

    [GeneratedRegex(@"[\\.+*?()|\[\]{}^$]")]
    private static partial Regex PromMeta();
}
