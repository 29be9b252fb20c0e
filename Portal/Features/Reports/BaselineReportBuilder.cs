using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Features.Prometheus;
using Portal.Features.Queries;
using Portal.Features.Scorecards;
using Portal.Features.Vitals;

namespace Portal.Features.Reports;

/// <summary>
/// Computes a baseline report from the portal's own data for a scope and a period: the key metrics against their
/// targets and the period before, the SLA objectives in scope, the critical findings, the ranked opportunities, the
/// largest movements and the detailed analysis. A source that cannot be read leaves its figures empty and is named in
/// the appendix; the others go on.
/// </summary>
public sealed partial class BaselineReportBuilder(
    NpgsqlDataSource dataSource, PrometheusClient prometheus, QueryStatistics queries, QueryTargets targets, IndexHealth indexHealth,
    SlaCatalogueSource catalogue, SliSampleStore samples, IOptions<ReportOptions> options, IOptions<QueryOptions> queryOptions,
    TimeProvider time, ILogger<BaselineReportBuilder> logger)
{
    private const int TopStatements = 200;

    private sealed class Draft
    {
        public List<Opportunity> Opportunities { get; } = [];
        public List<Movement> Movements { get; } = [];
        public List<DetailSection> Details { get; } = [];
        public List<string> Gaps { get; } = [];
        public Dictionary<string, (double? Current, double? Previous)> Figures { get; } = [];

        /// <summary>Where a key metric came from, when not from its usual source (the SLA objectives' SLIs).</summary>
        public Dictionary<string, string> Sources { get; } = [];

        public string RequestsFrom { get; set; } = "Prometheus";
        public Dictionary<DateTimeOffset, (double? Api, double? PageLoad)> Daily { get; } = [];
        public long PageViews { get; set; }
        public long Requests { get; set; }
        public int DaysWithoutPrometheus { get; set; }
        public int Snapshots { get; set; }

        /// <summary>Every statement's calls and time, summed over the targets: the mean is their quotient.</summary>
        public (long Calls, double TimeMs) Database { get; set; }
        public (long Calls, double TimeMs) DatabaseBefore { get; set; }
    }

    public async Task<BaselineReport> BuildAsync(ReportScope scope, ReportPeriod period, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var draft = new Draft();
        var apps = scope.Apps.Count > 0 ? scope.Apps : await AllAppsAsync(cancellationToken);
        var targetNames = scope.Targets.Count > 0 ? scope.Targets : targets.All.Select(target => target.Name).ToList();
        await ReadAsync("Web Vitals", draft, () => VitalsAsync(apps, period, draft, cancellationToken));
        await ReadAsync("Prometheus", draft, () => PrometheusAsync(scope, period, draft, cancellationToken));
        await ReadAsync("SLI samples", draft, () => FromObjectivesAsync(scope, period, draft, cancellationToken));
        foreach (var target in targetNames)
        {
            await ReadAsync($"query statistics of {target}", draft, () => QueriesAsync(target, period, draft, cancellationToken));
        }
        draft.Figures[Names.Database] = (Mean(draft.Database), Mean(draft.DatabaseBefore));
        await ReadAsync("Redis samples", draft, () => RedisAsync(scope, period, draft, cancellationToken));
        var objectives = await ObjectivesAsync(scope, period, cancellationToken);
        var findings = new List<Finding>();
        findings.AddRange(objectives.Where(objective => objective.Status is nameof(ObjectiveStatus.Breached) or nameof(ObjectiveStatus.AtRisk))
            .Select(objective => new Finding("objective", $"{objective.Title} ({objective.Service}) is {(objective.Status == nameof(ObjectiveStatus.Breached) ? "breached" : "at risk")}",
                $"{objective.Figure} {Format(objective.Value, objective.Unit)} against {Format(objective.Target, objective.Unit)}; error budget {(objective.BudgetRemaining is { } left ? $"{left:P0} left" : "spent")}",
                $"/scorecards/objectives/{Uri.EscapeDataString(objective.Id)}")));
        await ReadAsync("alert history", draft, async () => findings.AddRange(await AlertsFiredAsync(scope, period, cancellationToken)));
        await ReadAsync("job history", draft, async () => findings.AddRange(await JobFindingsAsync(period, cancellationToken)));

        KeyMetric Metric(string name, string source, string unit, double target, bool lowerIsBetter)
        {
            var (current, previous) = draft.Figures.GetValueOrDefault(name);
            return new KeyMetric(name, draft.Sources.GetValueOrDefault(name, source), unit, current, previous, target, lowerIsBetter);
        }
        var metrics = new List<KeyMetric>
        {
            Metric(Names.PageLoad, "Web Vitals (LCP p95)", "ms", settings.PageLoadP95TargetMs, true),
            Metric(Names.Api, "Prometheus", "ms", settings.ApiP95TargetMs, true),
            Metric(Names.Database, "query statistics", "ms", settings.QueryMeanTargetMs, true),
            Metric(Names.Errors, "Prometheus", "ratio", settings.ErrorRateTarget, true),
            Metric(Names.Cache, "Redis", "ratio", settings.CacheHitRatioTarget, false),
        };
        draft.Movements.AddRange(metrics.Where(metric => metric.Current is not null && metric.Previous is not null)
            .Select(metric => new Movement("Key metric", metric.Name, metric.Unit, metric.Previous!.Value, metric.Current!.Value, metric.LowerIsBetter)));
        var (health, reason) = ReportScoring.Health(metrics, objectives);
        var (score, parts) = ReportScoring.Score(metrics, objectives);
        var (regressions, improvements) = ReportScoring.Movements(draft.Movements);
        var days = period.Days;
        var daily = days.Select(day => draft.Daily.TryGetValue(day, out var point) ? new DailyPoint(day, point.Api, point.PageLoad) : new DailyPoint(day, null, null)).ToList();
        return new BaselineReport(
            ScopeLabel(scope), scope, period, time.GetUtcNow(), health, reason, score, parts, metrics, objectives, findings,
            ReportScoring.Rank(draft.Opportunities), regressions, improvements,
            draft.Details.OrderBy(section => Array.IndexOf(Areas, section.Area)).ToList(), daily,
            new DataCoverage(draft.PageViews, draft.DaysWithoutPrometheus, days.Count, draft.Snapshots, draft.Requests, draft.Gaps) { RequestsFrom = draft.RequestsFrom });
    }

    private static double? Mean((long Calls, double TimeMs) sums) => sums.Calls > 0 ? sums.TimeMs / sums.Calls : null;

    public static class Names
    {
        public const string PageLoad = "Page load p95";
        public const string Api = "API response p95";
        public const string Database = "Database query time";
        public const string Errors = "Error rate";
        public const string Cache = "Cache hit ratio";
    }

    private static readonly string[] Areas = ["API", "Database", "Frontend", "Infrastructure"];

    public static string ScopeLabel(ReportScope scope)
    {
        var named = scope.Services.Concat(scope.Apps).Concat(scope.Targets).Distinct().ToList();
        return named.Count == 0 ? "all services" : string.Join(", ", named);
    }

    private async Task ReadAsync(string source, Draft draft, Func<Task> read)
    {
        try
        {
            await read();
        }
        catch (Exception ex) when (ex is NpgsqlException or PrometheusUnavailableException or PrometheusQueryException or TimeoutException or HttpRequestException)
        {
            logger.LogWarning(ex, "The report could not read {Source}", source);
            draft.Gaps.Add($"{source}: {ex.Message}");
        }
    }

    private async Task<IReadOnlyList<string>> AllAppsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition("SELECT id FROM vitals_apps ORDER BY id", cancellationToken: cancellationToken))).AsList();
    }

    // Web Vitals, exact from raw events (kept 30 days): page load is LCP's p95 over every page view of the apps.
    private async Task VitalsAsync(IReadOnlyList<string> apps, ReportPeriod period, Draft draft, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        async Task<(double? P95, long Views)> PageLoadAsync(ReportPeriod span) => await connection.QuerySingleAsync<(double?, long)>(new CommandDefinition("""
            SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY value), count(*)
            FROM vitals_events WHERE app = ANY(@apps) AND metric = 'LCP' AND received_at >= @Start AND received_at < @End
            """, new { apps = apps.ToArray(), span.Start, span.End }, cancellationToken: cancellationToken));
        var (current, views) = await PageLoadAsync(period);
        var (previous, _) = await PageLoadAsync(period.Previous);
        draft.Figures[Names.PageLoad] = (current, previous);
        draft.PageViews = views;
        var daily = await connection.QueryAsync<(DateTime Day, double P95)>(new CommandDefinition("""
            SELECT date_trunc('day', received_at AT TIME ZONE @zone) AS day, percentile_cont(0.95) WITHIN GROUP (ORDER BY value)
            FROM vitals_events WHERE app = ANY(@apps) AND metric = 'LCP' AND received_at >= @Start AND received_at < @End
            GROUP BY 1
            """, new { apps = apps.ToArray(), period.Start, period.End, zone = period.TimeZone }, cancellationToken: cancellationToken));
        var zone = TimeZoneInfo.FindSystemTimeZoneById(period.TimeZone);
        foreach (var (day, p95) in daily)
        {
            var at = new DateTimeOffset(day, zone.GetUtcOffset(day)).ToUniversalTime();
            draft.Daily[at] = (draft.Daily.GetValueOrDefault(at).Api, p95);
        }

        var pages = await PagesAsync(connection, apps, period, cancellationToken);
        var before = (await PagesAsync(connection, apps, period.Previous, cancellationToken)).ToDictionary(page => (page.App, page.Page, page.Metric));
        foreach (var page in pages.Where(page => page.Page != VitalsStore.All))
        {
            var metric = VitalsMetric.Find(page.Metric)!;
            if (metric.Unit == "ms" && page.P75 > metric.Good)
            {
                // Time users waited beyond "good": what reaching the threshold at p75 would give back, roughly, per view.
                var impact = (page.P75 - metric.Good) * page.Count;
                draft.Opportunities.Add(new Opportunity("frontend", $"{page.Metric} p75 of {page.Page} ({page.App}) is {metric.Format(page.P75)}, over {metric.Format(metric.Good)}",
                    impact, $"{Duration(impact)} of waiting beyond “good” over {page.Count:N0} page views",
                    $"/vitals/page?app={Uri.EscapeDataString(page.App)}&path={Uri.EscapeDataString(page.Page)}&metric={page.Metric}", NextStep(page.Metric)));
            }
            if (before.TryGetValue((page.App, page.Page, page.Metric), out var earlier) && page.Count >= 20 && earlier.Count >= 20)
            {
                draft.Movements.Add(new Movement("Web Vitals", $"{page.Metric} p75 of {page.Page} ({page.App})", metric.Unit, earlier.P75, page.P75, true));
            }
        }
        var rows = apps.Select(app =>
        {
            string Cell(string name) => pages.FirstOrDefault(page => page.App == app && page.Page == VitalsStore.All && page.Metric == name) is { } all
                ? VitalsMetric.Find(name)!.Format(all.P75) : "—";
            var views = pages.Where(page => page.App == app && page.Page == VitalsStore.All && page.Metric == "LCP").Sum(page => page.Count);
            return new DetailRow(app, [Cell("LCP"), Cell("INP"), Cell("CLS"), Cell("FCP"), Cell("TTFB"), views.ToString("N0", CultureInfo.InvariantCulture)], $"/vitals?app={Uri.EscapeDataString(app)}");
        }).ToList();
        draft.Details.Add(new DetailSection("Frontend", "Web Vitals by app (p75)", ["App", "LCP", "INP", "CLS", "FCP", "TTFB", "Page views"], rows,
            "No app sent Web Vitals in this period: add the snippet to its pages (Web Vitals apps)."));
    }

    private sealed record PageFigure(string App, string Page, string Metric, long Count, double P75);

    // Each page's p75 per metric, and each app's over all its pages (page "*").
    private static async Task<List<PageFigure>> PagesAsync(NpgsqlConnection connection, IReadOnlyList<string> apps, ReportPeriod span, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<PageFigure>(new CommandDefinition("""
            SELECT app AS "App", coalesce(page, '*') AS "Page", metric AS "Metric", count(*) AS "Count", percentile_cont(0.75) WITHIN GROUP (ORDER BY value) AS "P75"
            FROM vitals_events WHERE app = ANY(@apps) AND received_at >= @Start AND received_at < @End
            GROUP BY GROUPING SETS ((app, page, metric), (app, metric))
            """, new { apps = apps.ToArray(), span.Start, span.End }, cancellationToken: cancellationToken))).AsList();

    private static string NextStep(string metric) => metric switch
    {
        "LCP" => "Find the largest element on its page detail: preload or shrink it, and cut the server time before it.",
        "INP" => "Break up the long tasks behind its slowest interactions (the page detail names their targets).",
        "FCP" => "Remove render-blocking CSS and scripts from its first paint.",
        _ => "Look at the server time of its first byte: caching, redirects, the queries behind it.",
    };

    // A stack measured by nginx or an exporter has none of the request metrics the portal's own names
    // (Reports:RequestDurationMetric, RequestsMetric): its services' latency and error objectives (slas.yaml) measure
    // them, and their stored SLI samples give the period's p95 (the slowest service's) and error rate, as the scorecards read them.
    private async Task FromObjectivesAsync(ReportScope scope, ReportPeriod period, Draft draft, CancellationToken cancellationToken)
    {
        var inScope = catalogue.Current?.Objectives.Where(objective => scope.Services.Count == 0 || scope.Services.Contains(objective.Service)).ToList() ?? [];
        var latency = draft.Figures.GetValueOrDefault(Names.Api).Current is null ? inScope.Where(objective => objective.Sli.Kind == SliKinds.Latency).ToList() : [];
        var errors = draft.Figures.GetValueOrDefault(Names.Errors).Current is null ? inScope.Where(objective => objective.Sli.Kind == SliKinds.Errors).ToList() : [];
        if (latency.Count + errors.Count == 0)
        {
            return;
        }
        var previous = period.Previous;
        var read = await samples.ReadAsync([.. latency.Concat(errors).Select(objective => objective.Id)], previous.Start, period.End, cancellationToken);
        static List<SliSample> In(IReadOnlyList<SliSample> all, ReportPeriod span) => [.. all.Where(sample => sample.At > span.Start && sample.At <= span.End)];

        var p95 = new SliFigure("p95", null, "ms", true);
        var slowest = latency
            .Select(objective => (Objective: objective, Current: SliFigures.Value(objective.Sli, p95, In(read[objective.Id], period)),
                Previous: SliFigures.Value(objective.Sli, p95, In(read[objective.Id], previous))))
            .Where(each => each.Current is not null)
            .OrderByDescending(each => each.Current)
            .FirstOrDefault();
        if (slowest.Objective is { } measured)
        {
            draft.Figures[Names.Api] = (slowest.Current, slowest.Previous);
            draft.Sources[Names.Api] = $"SLA objective {measured.Id} ({measured.Sli.Metric}{(latency.Count > 1 ? $", the slowest of {latency.Count} latency objectives" : "")})";
        }
        (double Good, double Total) Sum(ReportPeriod span) => errors.SelectMany(objective => In(read[objective.Id], span))
            .Aggregate((Good: 0.0, Total: 0.0), (sum, sample) => (sum.Good + sample.Good, sum.Total + sample.Total));
        var (now, before) = (Sum(period), Sum(previous));
        if (now.Total > 0)
        {
            draft.Figures[Names.Errors] = (1 - now.Good / now.Total, before.Total > 0 ? 1 - before.Good / before.Total : null);
            draft.Sources[Names.Errors] = $"SLA objective{(errors.Count == 1 ? "" : "s")} {string.Join(", ", errors.Select(objective => objective.Id))} (their bad and total)";
            draft.Requests = (long)Math.Round(now.Total);
            draft.RequestsFrom = $"the error SLIs of {string.Join(", ", errors.Select(objective => objective.Id))}";
            var counted = errors.SelectMany(objective => In(read[objective.Id], period)).Where(sample => sample.Total > 0).ToList();
            draft.DaysWithoutPrometheus = period.Days.Count(day => !counted.Any(sample => sample.At > day && sample.At <= day.AddDays(1)));
        }
    }

    // Prometheus: p95 and error rate over the whole period (increase over the period, evaluated at its end), per
    // service for the detail, per day for the chart, and the portal cache's categories.
    private async Task PrometheusAsync(ReportScope scope, ReportPeriod period, Draft draft, CancellationToken cancellationToken)
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
            return new DetailRow(service, [Format(series.Samples[^1].Value * 1000, "ms"), count.ToString("N0", CultureInfo.InvariantCulture), Format(share, "ratio")]);
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
            categoryRows.Add(new DetailRow(category.Key, [Format(ratio, "ratio"), all.ToString("N0", CultureInfo.InvariantCulture), Duration(computeMs)], "/cache"));
            if (ratio < settings.CacheHitRatioTarget && computeMs > 0)
            {
                draft.Opportunities.Add(new Opportunity("cache", $"Cache category {category.Key} answers {ratio:P0} of reads, under {settings.CacheHitRatioTarget:P0}",
                    computeMs, $"{Duration(computeMs)} computing {missed:N0} misses", "/cache",
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

    // Query statistics: the call-weighted mean over every statement, the statements by their share of database time
    // (and N+1 suspects), missing-index suspects weighed by the time of the statements that read their table.
    private async Task QueriesAsync(string target, ReportPeriod period, Draft draft, CancellationToken cancellationToken)
    {
        async Task<(long Calls, double TimeMs)> TotalsAsync(ReportPeriod span)
        {
            var intervals = await queries.SeriesAsync(target, new StatementFilter(), span.Start, span.End, cancellationToken);
            return (intervals.Sum(interval => interval.Calls), intervals.Sum(interval => interval.TimeMs));
        }
        var (calls, timeMs) = await TotalsAsync(period);
        var (callsBefore, timeBefore) = await TotalsAsync(period.Previous);
        draft.Database = (draft.Database.Calls + calls, draft.Database.TimeMs + timeMs);
        draft.DatabaseBefore = (draft.DatabaseBefore.Calls + callsBefore, draft.DatabaseBefore.TimeMs + timeBefore);

        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            draft.Snapshots += await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT count(*) FROM query_snapshots WHERE target = @target AND taken_at >= @Start AND taken_at <= @End", new { target, period.Start, period.End }, cancellationToken: cancellationToken));
        }
        var top = await queries.TopAsync(new TopQueriesRequest(target, period.Start, period.End, Limit: TopStatements), cancellationToken);
        var slowMean = queryOptions.Value.SlowMeanMs;
        foreach (var row in top.Rows.Where(row => row.TotalTimeMs > 0))
        {
            var link = $"/queries/{row.QueryId}?target={Uri.EscapeDataString(target)}";
            draft.Opportunities.Add(new Opportunity(row.IsNPlusOneSuspect ? "n+1" : "statement", $"{Shorten(row.Query)} ({target})", row.TotalTimeMs,
                $"{Duration(row.TotalTimeMs)} of database time ({row.SharePercent:0.#} % of {target}'s), {row.Calls:N0} calls at {Format(row.MeanTimeMs, "ms")}",
                link,
                row.IsNPlusOneSuspect ? "N+1 suspect: many cheap calls — fetch the rows in one statement (IN / ANY, or a join) instead of one per item."
                : row.MeanTimeMs >= slowMean ? "EXPLAIN it from its query page: look for a sequential scan, a sort that spills, or rows fetched to be thrown away."
                : "Called very often: cache its result, or call it once per request instead of per item."));
            if (row.PreviousMeanTimeMs is { } before && row.PreviousCalls >= 10 && row.Calls >= 10)
            {
                draft.Movements.Add(new Movement("Database", $"mean time of {Shorten(row.Query)} ({target})", "ms", before, row.MeanTimeMs, true));
            }
        }
        // Index advice reads the target itself; statistics stored for a target since removed from the configuration have none.
        var health = targets.Find(target) is null ? null : await indexHealth.ReadAsync(target, cancellationToken);
        if (health is null)
        {
            draft.Gaps.Add($"index advice of {target}: not a configured query target");
        }
        foreach (var suspect in health?.MissingIndexes ?? [])
        {
            var table = suspect.Table.Split('.')[^1];
            var reading = top.Rows.Where(row => Regex.IsMatch(row.Query, $@"\b{Regex.Escape(table)}\b", RegexOptions.IgnoreCase)).ToList();
            var impact = reading.Sum(row => row.TotalTimeMs);
            draft.Opportunities.Add(new Opportunity("index", $"Missing index suspect: {suspect.Table} ({target})", impact,
                $"{Duration(impact)} of database time in {reading.Count} statement{(reading.Count == 1 ? "" : "s")} reading it; {suspect.SequentialScans:N0} sequential scans read {suspect.SequentialRowsRead:N0} rows",
                $"/queries/health?target={Uri.EscapeDataString(target)}",
                suspect.FilteredColumns.Count > 0 ? $"Index the columns its statements filter on ({string.Join(", ", suspect.FilteredColumns)}), then check the plans." : "Find the columns its statements filter on and index them."));
        }
        draft.Details.Add(new DetailSection("Database", $"Statements of {target} by database time", ["Statement", "Time", "Share", "Calls", "Mean", "Mean before"],
            top.Rows.Take(5).Select(row => new DetailRow(Shorten(row.Query),
                [Duration(row.TotalTimeMs), $"{row.SharePercent:0.#} %", row.Calls.ToString("N0", CultureInfo.InvariantCulture), Format(row.MeanTimeMs, "ms"), Format(row.PreviousMeanTimeMs, "ms")],
                $"/queries/{row.QueryId}?target={Uri.EscapeDataString(target)}")).ToList(),
            $"No statement ran on {target} in this period, or no snapshot covers it (the snapshot job runs every minute)."));
    }

    private async Task RedisAsync(ReportScope scope, ReportPeriod period, Draft draft, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Each instance's hits and misses between the readings nearest the period's ends (INFO counters only grow).
        async Task<List<(string Name, long Hits, long Misses)>> DeltasAsync(ReportPeriod span) => (await connection.QueryAsync<(string, long, long)>(new CommandDefinition("""
            SELECT name, last.keyspace_hits - first.keyspace_hits, last.keyspace_misses - first.keyspace_misses
            FROM (SELECT DISTINCT name FROM redis_samples WHERE at >= @Start AND at <= @End) names
            CROSS JOIN LATERAL (SELECT keyspace_hits, keyspace_misses FROM redis_samples s WHERE s.name = names.name AND at >= @Start ORDER BY at LIMIT 1) first
            CROSS JOIN LATERAL (SELECT keyspace_hits, keyspace_misses FROM redis_samples s WHERE s.name = names.name AND at <= @End ORDER BY at DESC LIMIT 1) last
            WHERE cardinality(@services::text[]) = 0 OR name = ANY(@services)
            ORDER BY name
            """, new { span.Start, span.End, services = scope.Services.ToArray() }, cancellationToken: cancellationToken))).Where(row => row.Item2 >= 0 && row.Item3 >= 0).ToList();
        var current = await DeltasAsync(period);
        var previous = await DeltasAsync(period.Previous);
        static double? Ratio(List<(string Name, long Hits, long Misses)> rows) =>
            rows.Sum(row => row.Hits + row.Misses) is > 0 and var lookups ? (double)rows.Sum(row => row.Hits) / lookups : null;
        draft.Figures[Names.Cache] = (Ratio(current), Ratio(previous));
        draft.Details.Add(new DetailSection("Infrastructure", "Redis", ["Instance", "Hit ratio", "Lookups"],
            current.Select(row => new DetailRow(row.Name, [Format(row.Hits + row.Misses > 0 ? (double)row.Hits / (row.Hits + row.Misses) : null, "ratio"), (row.Hits + row.Misses).ToString("N0", CultureInfo.InvariantCulture)], "/cache")).ToList(),
            "No Redis sample covers this period (the redis-samples job reads INFO every minute)."));
    }

    // The objectives in scope as their scorecards stood at the end of the period, each over its own window.
    private async Task<IReadOnlyList<ObjectiveLine>> ObjectivesAsync(ReportScope scope, ReportPeriod period, CancellationToken cancellationToken)
    {
        if (catalogue.Current is not { } current)
        {
            return [];
        }
        var objectives = current.Objectives.Where(objective => scope.Services.Count == 0 || scope.Services.Contains(objective.Service)).ToList();
        if (objectives.Count == 0)
        {
            return [];
        }
        var windows = objectives.ToDictionary(objective => objective.Id, objective => Scorecards.Scorecards.WindowOf(objective.Window, period.End));
        var read = await samples.ReadAsync(windows.Keys, windows.Values.Min(window => window.PreviousStart), period.End, cancellationToken);
        var states = await samples.StatesAsync(cancellationToken);
        return objectives.Select(objective =>
        {
            var score = Scorecards.Scorecards.Score(objective, windows[objective.Id], read[objective.Id], states.GetValueOrDefault(objective.Id), period.End);
            return new ObjectiveLine(objective.Id, objective.Service, objective.Title, objective.Priority, score.Figure.Name, score.Figure.Unit, score.Value,
                score.Figure.Target, score.Figure.LowerIsBetter, score.Status.ToString(), score.Budget.Remaining);
        }).OrderByDescending(line => line.Status == nameof(ObjectiveStatus.Breached)).ThenBy(line => line.Priority, StringComparer.Ordinal).ToList();
    }

    private async Task<IReadOnlyList<Finding>> AlertsFiredAsync(ReportScope scope, ReportPeriod period, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var fired = await connection.QueryAsync<(string Rule, string Severity, string? Service, int Times, DateTimeOffset First, string Fingerprint)>(new CommandDefinition("""
            SELECT i.rule_name, i.severity, i.labels->>'service', count(*)::int, min(t.at), min(i.fingerprint)
            FROM alert_transitions t JOIN alert_instances i USING (fingerprint)
            WHERE t.to_state = 'firing' AND t.at >= @Start AND t.at < @End
              AND (cardinality(@services::text[]) = 0 OR i.labels->>'service' = ANY(@services))
            GROUP BY 1, 2, 3 ORDER BY i.severity IN ('critical', 'page') DESC, count(*) DESC, 1
            """, new { period.Start, period.End, services = scope.Services.ToArray() }, cancellationToken: cancellationToken));
        return fired.Select(alert => new Finding("alert", $"{alert.Rule} ({alert.Severity}) fired {(alert.Times == 1 ? "once" : $"{alert.Times} times")}",
            $"{(alert.Service is null ? "" : $"service {alert.Service}, ")}first at {alert.First.UtcDateTime:yyyy-MM-dd HH:mm} UTC", $"/alerts/{alert.Fingerprint}")).ToList();
    }

    // Jobs that failed in the period, and those past their freshness objective at its end.
    private async Task<IReadOnlyList<Finding>> JobFindingsAsync(ReportPeriod period, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var failed = await connection.QueryAsync<(string Job, int Times, string? Error)>(new CommandDefinition("""
            SELECT job_id, count(*)::int, (array_agg(error_message ORDER BY started_at DESC))[1]
            FROM job_runs WHERE outcome IN ('failed', 'timed_out') AND started_at >= @Start AND started_at < @End
            GROUP BY job_id ORDER BY count(*) DESC, job_id
            """, new { period.Start, period.End }, cancellationToken: cancellationToken));
        var stale = await connection.QueryAsync<(string Job, DateTimeOffset? LastSuccess)>(new CommandDefinition("""
            SELECT d.id, (SELECT max(finished_at) FROM job_runs r WHERE r.job_id = d.id AND r.outcome = 'succeeded' AND r.finished_at <= @End)
            FROM job_definitions d
            WHERE NOT d.paused AND d.registered_at < @End - make_interval(secs => d.freshness_seconds)
              AND coalesce((SELECT max(finished_at) FROM job_runs r WHERE r.job_id = d.id AND r.outcome = 'succeeded' AND r.finished_at <= @End), '-infinity')
                  < @End - make_interval(secs => d.freshness_seconds)
            ORDER BY d.id
            """, new { period.End }, cancellationToken: cancellationToken));
        return failed.Select(job => new Finding("job", $"Job {job.Job} failed {(job.Times == 1 ? "once" : $"{job.Times} times")}", $"last error: {job.Error ?? "—"}", "/jobs"))
            .Concat(stale.Select(job => new Finding("job", $"Job {job.Job} was stale at the end of the period",
                job.LastSuccess is { } last ? $"last success {last.UtcDateTime:yyyy-MM-dd HH:mm} UTC" : "no success recorded", "/jobs")))
            .ToList();
    }

    private static string Shorten(string sql)
    {
        var flat = Regex.Replace(sql, @"\s+", " ").Trim();
        return flat.Length <= 90 ? flat : flat[..87] + "…";
    }

    /// <summary>A figure in its unit as the report words it: "1.24 s", "35 ms", "0.52 %".</summary>
    public static string Format(double? value, string unit) => value switch
    {
        null => "—",
        { } ratio when unit == "ratio" => ratio.ToString(ratio < 0.1 ? "0.00 %" : "0.0 %", CultureInfo.InvariantCulture),
        { } ms when unit == "ms" => ms >= 1_000 ? string.Create(CultureInfo.InvariantCulture, $"{ms / 1_000:0.00} s") : string.Create(CultureInfo.InvariantCulture, $"{ms:0.##} ms"),
        { } other => other.ToString("0.###", CultureInfo.InvariantCulture) + (unit.Length > 0 ? $" {unit}" : ""),
    };

    /// <summary>A time worded by its size: "2.4 h", "13 min", "45 s", "120 ms".</summary>
    public static string Duration(double ms) => ms switch
    {
        >= 3_600_000 => string.Create(CultureInfo.InvariantCulture, $"{ms / 3_600_000:0.#} h"),
        >= 60_000 => string.Create(CultureInfo.InvariantCulture, $"{ms / 60_000:0.#} min"),
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{ms / 1_000:0.#} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ms:0} ms"),
    };
}
