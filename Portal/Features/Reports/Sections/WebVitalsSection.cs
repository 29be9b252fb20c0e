using System.Globalization;
using Portal.Components;
using Portal.Features.Vitals;
using static Portal.Features.Reports.BaselineReportBuilder;

namespace Portal.Features.Reports.Sections;

/// <summary>Web Vitals, from the Vitals feature: page load (LCP p95), each page's p75 per metric, the opportunities and movements.</summary>
internal sealed class WebVitalsSection(VitalsStore vitals, VitalsApps vitalsApps) : IReportSection
{
    public IEnumerable<ReportRead> Reads(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        yield return new("Web Vitals", async () => await VitalsAsync(scope.Apps.Count > 0 ? scope.Apps : await AllAppsAsync(cancellationToken), period, draft, cancellationToken));
    }

    private async Task<IReadOnlyList<string>> AllAppsAsync(CancellationToken cancellationToken) =>
        [.. (await vitalsApps.ListAsync(cancellationToken)).Select(app => app.Id).Order(StringComparer.Ordinal)];

    // Web Vitals, exact from raw events (kept 30 days): page load is LCP's p95 over every page view of the apps.
    private async Task VitalsAsync(IReadOnlyList<string> apps, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        var (current, views) = await vitals.QuantileAsync(apps, "LCP", 0.95, period.Start, period.End, cancellationToken);
        var (previous, _) = await vitals.QuantileAsync(apps, "LCP", 0.95, period.Previous.Start, period.Previous.End, cancellationToken);
        draft.Figures[Names.PageLoad] = (current, previous);
        draft.PageViews = views;
        foreach (var (at, p95) in await vitals.DailyQuantileAsync(apps, "LCP", 0.95, period.Start, period.End, period.TimeZone, cancellationToken))
        {
            draft.Daily[at] = (draft.Daily.GetValueOrDefault(at).Api, p95);
        }

        var pages = await vitals.PageFiguresAsync(apps, period.Start, period.End, cancellationToken);
        var before = (await vitals.PageFiguresAsync(apps, period.Previous.Start, period.Previous.End, cancellationToken)).ToDictionary(page => (page.App, page.Page, page.Metric));
        foreach (var page in pages.Where(page => page.Page != VitalsStore.All))
        {
            var metric = VitalsMetric.Find(page.Metric)!;
            if (metric.Unit == "ms" && page.P75 > metric.Good)
            {
                // Time users waited beyond "good": what reaching the threshold at p75 would give back, roughly, per view.
                var impact = (page.P75 - metric.Good) * page.Count;
                // LCP and INP name their dominant part and what is behind it ("LCP of /checkout: 62 % is resource load duration of /hero.jpg").
                var breakdown = VitalsDiagnosis.PartsOf(page.Metric).Count > 0
                    ? await vitals.BreakdownAsync(page.App, page.Page, page.Metric, period.Start, period.End, cancellationToken) : null;
                var why = breakdown is null ? null : VitalsDiagnosis.Sentence(page.Page, breakdown);
                draft.Opportunities.Add(new Opportunity("frontend",
                    $"{page.Metric} p75 of {page.Page} ({page.App}) is {metric.Format(page.P75)}, over {metric.Format(metric.Good)}" + (why is null ? "" : $" — {why}"),
                    impact, $"{Durations.Milliseconds(impact)} of waiting beyond “good” over {page.Count:N0} page views",
                    PortalLinks.VitalsPage(page.App, page.Page, page.Metric),
                    breakdown is not null && VitalsDiagnosis.Advice(breakdown) is { } advice ? char.ToUpperInvariant(advice[0]) + advice[1..] + "." : NextStep(page.Metric)));
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
            return new DetailRow(app, [Cell("LCP"), Cell("INP"), Cell("CLS"), Cell("FCP"), Cell("TTFB"), views.ToString("N0", CultureInfo.InvariantCulture)], PortalLinks.VitalsApp(app));
        }).ToList();
        draft.Details.Add(new DetailSection("Frontend", "Web Vitals by app (p75)", ["App", "LCP", "INP", "CLS", "FCP", "TTFB", "Page views"], rows,
            "No app sent Web Vitals in this period: add the snippet to its pages (Web Vitals apps)."));
    }

    private static string NextStep(string metric) => metric switch
    {
        "LCP" => "Find the largest element on its page detail: preload or shrink it, and cut the server time before it.",
        "INP" => "Break up the long tasks behind its slowest interactions (the page detail names their targets).",
        "FCP" => "Remove render-blocking CSS and scripts from its first paint.",
        _ => "Look at the server time of its first byte: caching, redirects, the queries behind it.",
    };
}
