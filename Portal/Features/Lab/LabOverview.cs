using Portal.Features.Vitals;

namespace Portal.Features.Lab;

/// <summary>What real browsers measured on a page audited in the lab (Web Vitals p75 over the window; null without samples).</summary>
public sealed record FieldFigures(string App, string Page, long Samples, double? LcpMs, double? Cls, double? FcpMs, double? InpMs, double? TtfbMs);

/// <summary>A critical page in one profile: its last Lighthouse run in the window, how many runs it had, and the field beside it.</summary>
public sealed record LabPageRow(string Service, string Page, string Profile, LighthouseRun Last, int Runs, FieldFigures? Field);

/// <summary>
/// The Lab page's and the report's reading of the lab: each page and profile's last run in a window with the field
/// figures of the same page (the Web Vitals app named like the service, the page grouped by that app's rules), through
/// the Vitals feature's read API.
/// </summary>
public sealed class LabOverview(LabResults results, VitalsApps apps, VitalsStore vitals)
{
    public async Task<IReadOnlyList<LabPageRow>> PagesAsync(DateTimeOffset from, DateTimeOffset to, string? service = null, CancellationToken cancellationToken = default)
    {
        var runs = await results.LighthouseRunsAsync(from, to, service, cancellationToken);
        var fields = new Dictionary<string, IReadOnlyDictionary<string, PageSummary>?>();
        var rows = new List<LabPageRow>();
        foreach (var group in runs.GroupBy(run => (run.Service, run.Page, run.Result.Profile)))
        {
            var last = group.MaxBy(run => (run.Result.FetchedAt, run.Id))!;
            rows.Add(new LabPageRow(group.Key.Service, group.Key.Page, group.Key.Profile, last, group.Count(),
                await FieldAsync(group.Key.Service, group.Key.Page, from, to, fields, cancellationToken)));
        }
        return rows.OrderBy(row => row.Service, StringComparer.Ordinal).ThenBy(row => row.Page, StringComparer.Ordinal)
            .ThenBy(row => LabProfiles.All.ToList().IndexOf(row.Profile)).ToList();
    }

    private async Task<FieldFigures?> FieldAsync(string service, string path, DateTimeOffset from, DateTimeOffset to,
        Dictionary<string, IReadOnlyDictionary<string, PageSummary>?> cache, CancellationToken cancellationToken)
    {
        var app = await apps.FindAsync(service, cancellationToken);
        if (app is null)
        {
            return null;
        }
        if (!cache.TryGetValue(app.Id, out var pages))
        {
            pages = (await vitals.PagesAsync(app.Id, from, to, cancellationToken)).ToDictionary(page => page.Page);
            cache[app.Id] = pages;
        }
        var page = PageGroups.PageOf(app, path);
        if (pages!.GetValueOrDefault(page) is not { } summary)
        {
            return new FieldFigures(app.Id, page, 0, null, null, null, null, null);
        }
        double? P75(string metric) => summary.Metrics.TryGetValue(metric, out var figure) ? figure.P75 : null;
        return new FieldFigures(app.Id, page, summary.Samples, P75("LCP"), P75("CLS"), P75("FCP"), P75("INP"), P75("TTFB"));
    }
}
