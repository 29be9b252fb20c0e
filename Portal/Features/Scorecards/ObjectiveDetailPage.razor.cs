using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using Portal.Components;

namespace Portal.Features.Scorecards;

public sealed partial class ObjectiveDetailPage : ComponentBase, IAsyncDisposable
{
    [Parameter]
    public string Id { get; set; } = "";

    [SupplyParameterFromQuery(Name = "window")]
    public string? Window { get; set; }

    [Inject]
    public required Scorecards Scorecards { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required IJSRuntime JS { get; init; }

    private ObjectiveDetail? detail;
    private bool loading = true;
    private bool drawPending;
    private ElementReference sliChart;
    private ElementReference burnDownChart;
    private IJSObjectReference? charts;

    protected override async Task OnParametersSetAsync()
    {
        loading = true;
        detail = await Scorecards.DetailAsync(Id, Scorecards.IsWindow(Window) ? Window : null);
        loading = false;
        drawPending = true;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!drawPending || detail is null)
        {
            return;
        }
        drawPending = false;
        charts ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/timeseries.js");
        var score = detail.Score;
        var (from, to) = (score.WindowStart.ToUnixTimeSeconds(), Math.Min(score.WindowEnd.ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        var scale = score.Figure.Unit == "ratio" ? 100 : 1;
        await charts.InvokeVoidAsync("render", sliChart, new
        {
            timestamps = detail.Series.Select(point => point.At.ToUnixTimeSeconds()).ToArray(), unit = DisplayUnit, height = 260, from, to,
            series = new object[]
            {
                new { label = score.Figure.Name, values = detail.Series.Select(point => point.Value * scale).ToArray() },
                new { label = "target", values = detail.Series.Select(_ => score.Figure.Target * scale).ToArray(), dash = true },
            },
        });
        await charts.InvokeVoidAsync("render", burnDownChart, new
        {
            timestamps = detail.BurnDown.Select(point => point.At.ToUnixTimeSeconds()).ToArray(), unit = "%", height = 180, from, to,
            series = new object[]
            {
                new { label = "budget remaining", values = detail.BurnDown.Select(point => point.Value * 100).ToArray() },
                new { label = "spent", values = detail.BurnDown.Select(_ => (double?)0).ToArray(), dash = true },
            },
        });
    }

    private string DisplayUnit => detail!.Score.Figure.Unit == "ratio" ? "%" : detail.Score.Figure.Unit;

    /// <summary>A share as the Scorecards pages show it ("99.95 %").</summary>
    public static string Percent(double? share) => share is { } value ? string.Create(CultureInfo.CurrentCulture, $"{value * 100:0.##} %") : "—";

    private static string Ms(double? ms) => ms is { } value ? Durations.Milliseconds(value) : "—";

    private static bool IsFast(string window, double? rate) => window switch
    {
        "1h" => rate >= ErrorBudget.FastBurn1h,
        "6h" => rate >= ErrorBudget.FastBurn6h,
        _ => rate > 1,
    };

    private static string BurnMeaning(string window, double? rate) => rate switch
    {
        null => "no events",
        0 => "no bad events",
        _ when IsFast(window, rate) && window is "1h" or "6h" => "fast burn: an incident now",
        > 1 => "faster than the budget allows",
        _ => "within budget",
    };

    private static string WindowQuery(Degradation degraded) => $"range=custom&from={Uri.EscapeDataString(degraded.BaselineFrom.UtcDateTime.ToString("O", CultureInfo.InvariantCulture))}" +
        $"&to={Uri.EscapeDataString(degraded.To.UtcDateTime.ToString("O", CultureInfo.InvariantCulture))}";

    private static string StatementHref(StatementChange statement, Degradation degraded) =>
        PortalLinks.Statement(statement.Target, statement.QueryId, WindowQuery(degraded));

    private static string PageHref(VitalsPageChange page, Degradation degraded) =>
        PortalLinks.VitalsPage(page.App, page.Page, query: WindowQuery(degraded));

    private static string ExplorerHref(string promQl, Degradation? degraded) => degraded is null
        ? $"/prometheus?q={Uri.EscapeDataString(promQl)}&range=24h"
        : $"/prometheus?q={Uri.EscapeDataString(promQl)}&{WindowQuery(degraded)}";

    /// <summary>The SLI in words: what is measured, from where, and what counts as good.</summary>
    public static string Describe(SliSpec sli)
    {
        var headline = SliFigures.Headline(sli);
        var targets = string.Join(", ", SliFigures.All(sli).Select(figure => $"{figure.Name} {(figure.LowerIsBetter ? "≤" : "≥")} {figure.Format(figure.Target)}"));
        var share = string.Create(CultureInfo.InvariantCulture, $"{sli.Objective * 100:0.###} %");
        var threshold = sli.Threshold is { } ms ? headline.Unit == "" && sli.Kind == SliKinds.Vitals ? ms.ToString("0.###", CultureInfo.InvariantCulture) : Durations.Milliseconds(ms) : "";
        return sli.Kind switch
        {
            SliKinds.Latency => $"Prometheus histogram {sli.Metric}{{{string.Join(", ", sli.Matchers.Select(pair => $"{pair.Key}=\"{pair.Value}\""))}}}: {targets}. Error budget: at least {share} of requests within {threshold} (from the bucket counts).",
            SliKinds.Errors => $"Prometheus: bad ({sli.Bad}) over total ({sli.Total}): error rate ≤ {headline.Format(headline.Target)}.",
            SliKinds.Availability => $"Prometheus: {sli.Up} averaged over each 5 minutes: uptime ≥ {share}.",
            SliKinds.Query => $"pg_stat_statements on target {sli.Target}, statements {Matching(sli)}: the call-weighted mean time per 5-minute interval (pg_stat_statements keeps no percentiles) is under {threshold} in at least {share} of intervals.",
            SliKinds.Vitals => $"Web Vitals {sli.Metric} of app {sli.App}{(sli.Page is null ? "" : $", page {sli.Page}")}{(sli.Device is null ? "" : $", {sli.Device}")}: {targets}. Error budget: at least {share} of page views within {threshold}. Over more than 5 minutes a percentile is the page-view-weighted mean of the 5-minute percentiles.",
            SliKinds.Cache when sli.Category is not null => $"The portal's cache category {sli.Category}: lookups answered from a tier (not computed) ≥ {share}.",
            SliKinds.Cache => $"Redis {sli.Redis}: keyspace hits over hits and misses (INFO stats) ≥ {share}.",
            SliKinds.Lighthouse => $"Lighthouse runs of {sli.Service}'s {(sli.Page is null ? "critical pages" : $"page {sli.Page}")}{(sli.Profile is null ? "" : $", {sli.Profile}")} (the lab-checks job's and CI's): the {sli.Category} score is at least {sli.Threshold:0} in at least {share} of runs; the figure is the runs' mean score.",
            _ => $"{(sli.Job == "*" ? "Every job" : $"Job {sli.Job}")} succeeded within its freshness objective (the Jobs page's), checked every 5 minutes: ≥ {share} of checks.",
        };
    }

    private static string Matching(SliSpec sli) => string.Join(" and ", new[]
    {
        sli.Database is null ? null : $"of database {sli.Database}",
        sli.Pattern is null ? null : $"matching /{sli.Pattern}/i",
        sli.QueryId is null ? null : $"with query id {sli.QueryId}",
    }.OfType<string>());

    public async ValueTask DisposeAsync()
    {
        if (charts is not null)
        {
            try
            {
                await charts.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is gone with its charts.
            }
        }
    }
}
