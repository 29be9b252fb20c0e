using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using Portal.Components;

namespace Portal.Features.Vitals;

public sealed partial class VitalsPage : RangedPage, IAsyncDisposable
{
    public const int TrendDays = 28;

    [Inject]
    public required VitalsApps Apps { get; init; }

    [Inject]
    public required VitalsStore Store { get; init; }

    [Inject]
    public required IJSRuntime JS { get; init; }

    [SupplyParameterFromQuery(Name = "app")]
    public string? AppId { get; set; }

    [Inject]
    public required PersistentComponentState State { get; init; }

    private PrerenderedReads<VitalsPageData>? prerendered;
    private IReadOnlyList<VitalsApp> apps = [];
    private VitalsApp? app;
    private IReadOnlyList<MetricSummary> summary = [];
    private IReadOnlyList<PageSummary> pages = [];
    private IReadOnlyList<TrendPoint> trend = [];
    private int pagesShown = PageRows;
    private string trendMetric = "LCP";
    private string? pageFilter;
    private ElementReference trendChart;
    private IJSObjectReference? charts;
    private bool drawPending;


    protected override async Task OnParametersSetAsync()
    {
        var key = Navigation.ToBaseRelativePath(Navigation.Uri);
        prerendered ??= new PrerenderedReads<VitalsPageData>(State, "vitals-page");
        if (!prerendered.TryTake(out var data) || data!.Key != key)
        {
            data = await ReadAsync(key);
            prerendered.Keep(data);
        }
        (apps, summary, pages, trend) = (data.Apps, data.Summary, data.Pages, data.Trend);
        app = apps.FirstOrDefault(candidate => candidate.Id == (AppId ?? VitalsApps.PortalApp));
        pagesShown = PageRows;
        drawPending = app is not null;
    }

    private async Task<VitalsPageData> ReadAsync(string key)
    {
        var all = await Apps.ListAsync();
        if (all.FirstOrDefault(candidate => candidate.Id == (AppId ?? VitalsApps.PortalApp)) is not { } chosen)
        {
            return new VitalsPageData(key, all, [], [], []);
        }
        return new VitalsPageData(key, all,
            await Store.SummaryAsync(chosen.Id, Window.From, Window.To),
            await Store.PagesAsync(chosen.Id, Window.From, Window.To),
            await Store.TrendAsync(chosen.Id, TrendDays));
    }

    private string Snippet =>
        $"""<script type="module" src="{Navigation.BaseUri}vitals.js" data-portal-key="{app!.PublicKey}" data-sample-rate="{app.SampleRate.ToString(CultureInfo.InvariantCulture)}" data-release="YOUR_RELEASE"{(app.SoftNavigations ? " data-soft-navigations" : "")}></script>""";

    /// <summary>Rows of the pages table before "show more": a page is a few components' worth of cells per row.</summary>
    private const int PageRows = 50;

    private readonly TableSort<PageSummary> pageSort = new(
        [("page", page => page.Page), ("samples", page => page.Samples), .. VitalsMetric.All.Select(metric => (metric.Name, (Func<PageSummary, IComparable?>)(page => P75Of(page, metric.Name))))]);

    private IReadOnlyList<PageSummary> ShownPages(out int matching)
    {
        var sorted = pageSort.Apply(pages.Where(Matches));
        matching = sorted.Count;
        return sorted.Count > pagesShown ? [.. sorted.Take(pagesShown)] : sorted;
    }

    private bool Matches(PageSummary page) => string.IsNullOrWhiteSpace(pageFilter) || page.Page.Contains(pageFilter, StringComparison.OrdinalIgnoreCase);

    private static double P75Of(PageSummary page, string metric) => page.Metrics.TryGetValue(metric, out var value) ? value.P75 : double.NaN;

    private string PageHref(string page) => Navigation.GetUriWithQueryParameters("/vitals/page",
        new Dictionary<string, object?> { ["app"] = app?.Id, ["path"] = page, ["range"] = Window.ToQuery().Range, ["from"] = Window.ToQuery().From, ["to"] = Window.ToQuery().To });

    public static string RatingClass(string rating) => $"rating-{rating}";

    private static string Percent(double share) => (100 * share).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private Task TrendMetricChanged(string metric)
    {
        trendMetric = metric;
        drawPending = true;
        return Task.CompletedTask;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (app is null || !drawPending)
        {
            return;
        }
        charts ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/timeseries.js");
        drawPending = false;
        var metric = VitalsMetric.Find(trendMetric)!;
        var points = trend.Where(point => point.Metric == trendMetric).OrderBy(point => point.Day).ToList();
        var today = VitalsStore.Day(Time.GetUtcNow());
        await charts.InvokeVoidAsync("render", trendChart, new
        {
            timestamps = points.Select(point => new DateTimeOffset(point.Day, TimeSpan.Zero).ToUnixTimeSeconds()).ToArray(),
            unit = metric.Unit, height = 240,
            from = new DateTimeOffset(today.AddDays(1 - TrendDays), TimeSpan.Zero).ToUnixTimeSeconds(),
            to = new DateTimeOffset(today, TimeSpan.Zero).ToUnixTimeSeconds(),
            series = new[]
            {
                new { label = $"{metric.Name} p75", values = points.Select(point => (double?)point.P75).ToArray() },
                new { label = "good", values = points.Select(_ => (double?)metric.Good).ToArray() },
                new { label = "poor above", values = points.Select(_ => (double?)metric.Poor).ToArray() },
            },
        });
    }

    protected override IReadOnlyDictionary<string, string?> Filters => new Dictionary<string, string?> { ["app"] = AppId };

    public async ValueTask DisposeAsync()
    {
        prerendered?.Dispose();
        if (charts is not null)
        {
            try
            {
                await charts.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is gone, and the chart with it.
            }
        }
    }
}

/// <summary>The Web Vitals page's reads for one app and window (<see cref="Key"/>: the address's filters).</summary>
public sealed record VitalsPageData(
    string Key, IReadOnlyList<VitalsApp> Apps, IReadOnlyList<MetricSummary> Summary, IReadOnlyList<PageSummary> Pages, IReadOnlyList<TrendPoint> Trend);
