using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;
using Portal.Components;
using Portal.Features.Jobs;
using Portal.Features.Scorecards;

namespace Portal.Features.Lab;

public sealed partial class LabPage : RangedPage, IAsyncDisposable
{
    public const string LabJob = "lab-checks";

    [Inject]
    public required LabOverview Overview { get; init; }

    [Inject]
    public required LabResults Results { get; init; }

    [Inject]
    public required SlaCatalogueSource Catalogue { get; init; }

    [Inject]
    public required JobsService Jobs { get; init; }

    [Inject]
    public required IJSRuntime JS { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> Authentication { get; set; }

    [SupplyParameterFromQuery(Name = "service")]
    public string? Service { get; set; }

    [SupplyParameterFromQuery(Name = "page")]
    public string? Page { get; set; }

    private IReadOnlyList<LabPageRow> rows = [];
    private IReadOnlyList<string> services = [];
    private IReadOnlyList<LighthouseRun> trend = [];
    private LabPageRow? selected;
    private string? filter;
    private string? message;
    private bool messageIsError;
    private ElementReference trendChart;
    private IJSObjectReference? charts;
    private bool drawPending;

    protected override string DefaultRange => "30d";

    protected override IReadOnlyDictionary<string, string?> Filters => new Dictionary<string, string?> { ["service"] = Service, ["page"] = Page };

    private readonly TableSort<LabPageRow> sort = new(
        ("page", row => $"{row.Service} {row.Page}"), ("profile", row => row.Profile), ("performance", row => row.Last.Result.Performance),
        ("accessibility", row => row.Last.Result.Accessibility), ("best-practices", row => row.Last.Result.BestPractices), ("seo", row => row.Last.Result.Seo),
        ("lcp", row => row.Last.Result.LcpMs), ("field-lcp", row => row.Field?.LcpMs), ("cls", row => row.Last.Result.Cls),
        ("at", row => row.Last.Result.FetchedAt));

    protected override async Task OnParametersSetAsync()
    {
        rows = await Overview.PagesAsync(Window.From, Window.To, Service);
        services = (Catalogue.Current?.Lab.Select(target => target.Service) ?? []).Concat(rows.Select(row => row.Service)).Append(Service).OfType<string>()
            .Distinct().Order(StringComparer.Ordinal).ToList();
        selected = rows.FirstOrDefault(row => row.Page == Page && (Service is null || row.Service == Service)) ?? (rows.Count > 0 ? rows[0] : null);
        trend = selected is null ? [] : (await Results.LighthouseRunsAsync(Window.From, Window.To, selected.Service)).Where(run => run.Page == selected.Page).ToList();
        drawPending = selected is not null;
    }

    private IReadOnlyList<LabPageRow> SelectedRows => rows.Where(row => row.Service == selected!.Service && row.Page == selected.Page).ToList();

    private IReadOnlyList<LabPageRow> Shown(out int matching)
    {
        var matches = rows.Where(row => string.IsNullOrWhiteSpace(filter)
            || $"{row.Service} {row.Page} {row.Profile}".Contains(filter.Trim(), StringComparison.OrdinalIgnoreCase)).ToList();
        matching = matches.Count;
        return sort.Apply(matches);
    }

    private static string Unitless(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? "—";

    /// <summary>The lab's figures beside the field's: LCP, FCP, CLS, and TBT beside INP (the lab's stand-in for responsiveness).</summary>
    private static readonly IReadOnlyList<(string Metric, Func<LighthouseResult, double?> Lab, Func<FieldFigures?, double?> Field, Func<double?, string> Format)> Versus =
    [
        ("LCP", result => result.LcpMs, field => field?.LcpMs, Durations.Milliseconds),
        ("FCP", result => result.FcpMs, field => field?.FcpMs, Durations.Milliseconds),
        ("CLS", result => result.Cls, field => field?.Cls, Unitless),
        ("TBT (lab) · INP (field)", result => result.TbtMs, field => field?.InpMs, Durations.Milliseconds),
    ];

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!drawPending || selected is null)
        {
            return;
        }
        drawPending = false;
        charts ??= await ChartModule.ImportAsync(JS);
        var times = trend.Select(run => run.Result.FetchedAt.ToUnixTimeSeconds()).Distinct().Order().ToArray();
        var series = trend.Select(run => run.Result.Profile).Distinct().Order(StringComparer.Ordinal).Select(profile =>
        {
            var byTime = trend.Where(run => run.Result.Profile == profile).GroupBy(run => run.Result.FetchedAt.ToUnixTimeSeconds())
                .ToDictionary(group => group.Key, group => group.Last().Result.Performance);
            return (object)new { label = $"performance, {profile}", values = times.Select(at => byTime.TryGetValue(at, out var score) ? score * 100 : null).ToArray(), spanGaps = true };
        }).Append(new { label = "target", values = times.Select(_ => (double?)90).ToArray(), dash = true, spanGaps = true }).ToArray();
        await charts.InvokeVoidAsync("render", trendChart, new
        {
            timestamps = times, unit = "", height = 240, from = Window.AxisFor(times).From, to = Window.AxisFor(times).To, series, points = true, min = 0, max = 100,
        });
    }

    private async Task RunNowAsync()
    {
        var (result, hangfireJobId) = await Jobs.RunNowAsync((await Authentication).User, LabJob);
        (message, messageIsError) = result switch
        {
            JobCommandResult.Done => ($"Queued the lab checks (Hangfire job {hangfireJobId}): each page takes Lighthouse about 15 seconds a profile; the results show here when they are stored.", false),
            JobCommandResult.Paused => ("The lab-checks job is paused: resume it on the Jobs page first.", true),
            _ => ("The lab-checks job is not in the catalogue.", true),
        };
    }

    public ValueTask DisposeAsync() => ChartModule.DisposeAsync(charts);
}
