using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;
using Portal.Components;
using Portal.Features.Reports;

namespace Portal.Features.Lab;

public sealed partial class LoadTestsPage : RangedPage, IAsyncDisposable
{
    [Inject]
    public required LabResults Results { get; init; }

    [Inject]
    public required IOptions<ReportOptions> ReportOptions { get; init; }

    [Inject]
    public required IJSRuntime JS { get; init; }

    [SupplyParameterFromQuery(Name = "service")]
    public string? Service { get; set; }

    [SupplyParameterFromQuery(Name = "scenario")]
    public string? Scenario { get; set; }

    /// <summary>A run, and its p95 (or stand-in) against the previous run of its scenario (+0.12: 12 % slower).</summary>
    private sealed record RunRow(LoadTestRecord Record, double? Change);

    private List<LoadTestRecord> runs = [];
    private IReadOnlyList<string> services = [];
    private IReadOnlyList<string> scenarios = [];
    private Readiness readiness = new(ReadinessVerdicts.NotTested, "", null);
    private ElementReference chart;
    private IJSObjectReference? charts;
    private bool drawPending;

    protected override string DefaultRange => "30d";

    protected override IReadOnlyDictionary<string, string?> Filters => new Dictionary<string, string?> { ["service"] = Service, ["scenario"] = Scenario };

    private int ReadinessUsers => ReportOptions.Value.ReadinessUsers;

    private double ApiTargetMs => ReportOptions.Value.ApiP95TargetMs;

    private double ErrorTarget => ReportOptions.Value.ErrorRateTarget;

    private readonly TableSort<RunRow> sort = new(
        ("at", row => row.Record.Run.StartedAt), ("scenario", row => $"{row.Record.Service} {row.Record.Scenario}"), ("users", row => row.Record.Run.Users),
        ("requests", row => row.Record.Run.Requests), ("throughput", row => row.Record.Run.Throughput), ("p50", row => row.Record.Run.P50),
        ("p95", row => row.Record.Run.P95OrAbove?.Ms), ("p99", row => row.Record.Run.P99), ("errors", row => row.Record.Run.ErrorRate));

    protected override async Task OnParametersSetAsync()
    {
        var all = await Results.LoadTestsAsync(Window.From, Window.To, Service);
        services = (await Results.LoadTestsAsync(Window.From, Window.To)).Select(run => run.Service).Append(Service).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        scenarios = all.Select(run => run.Scenario).Append(Scenario).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        runs = all.Where(run => Scenario is null || run.Scenario == Scenario).ToList();
        readiness = ReadinessRule.Judge(runs, ReadinessUsers, ApiTargetMs, ErrorTarget);
        drawPending = runs.Count > 0;
    }

    // Newest first; each against the run of its service and scenario before it.
    private IEnumerable<RunRow> Rows => runs
        .GroupBy(run => (run.Service, run.Scenario))
        .SelectMany(group => group.OrderBy(run => run.Run.StartedAt).Select((run, index) => new RunRow(run,
            index > 0 && group.OrderBy(each => each.Run.StartedAt).ElementAt(index - 1).Run.P95OrAbove is { Ms: > 0 } before && run.Run.P95OrAbove is { } now
                ? (now.Ms - before.Ms) / before.Ms : null)))
        .OrderByDescending(row => row.Record.Run.StartedAt);

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!drawPending)
        {
            return;
        }
        drawPending = false;
        charts ??= await ChartModule.ImportAsync(JS);
        var times = runs.Select(run => run.Run.StartedAt.ToUnixTimeSeconds()).Distinct().Order().ToArray();
        var series = runs.GroupBy(run => $"{run.Service} {run.Scenario}").OrderBy(group => group.Key, StringComparer.Ordinal).Select(group =>
        {
            var byTime = group.GroupBy(run => run.Run.StartedAt.ToUnixTimeSeconds()).ToDictionary(each => each.Key, each => each.Last().Run.P95OrAbove?.Ms);
            return (object)new { label = group.Key, values = times.Select(at => byTime.GetValueOrDefault(at)).ToArray(), spanGaps = true };
        }).Append(new { label = "API p95 target", values = times.Select(_ => (double?)ApiTargetMs).ToArray(), dash = true, spanGaps = true }).ToArray();
        await charts.InvokeVoidAsync("render", chart, new
        {
            timestamps = times, unit = "ms", height = 220, from = Window.AxisFor(times).From, to = Window.AxisFor(times).To, series, points = true,
        });
    }

    public ValueTask DisposeAsync() => ChartModule.DisposeAsync(charts);
}
