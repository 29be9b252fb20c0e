using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;
using Npgsql;
using Portal.Components;

namespace Portal.Features.Queries;

public sealed partial class WaitsPage : RangedPage, IAsyncDisposable
{
    [Inject]
    public required QueryTargets Targets { get; init; }

    [Inject]
    public required ActivityHistory History { get; init; }

    [Inject]
    public required IOptions<QueryOptions> Options { get; init; }

    [Inject]
    public required IJSRuntime JS { get; init; }

    [SupplyParameterFromQuery(Name = "target")]
    public string? Target { get; set; }

    private IReadOnlyList<WaitSeries> waits = [];
    private IReadOnlyList<WaitingStatement> statements = [];
    private IReadOnlyList<LockWait> locks = [];
    private string? error;
    private ElementReference chart;
    private IJSObjectReference? charts;
    private bool drawPending;
    private TimeSpan bin;

    private string TargetName => Targets.Find(Target)?.Name ?? QueryOptions.PortalTarget;

    protected override string DefaultRange => "1h";

    protected override IReadOnlyDictionary<string, string?> Filters => new Dictionary<string, string?> { ["target"] = Target };

    private bool RawWindow => Window.Span <= ActivityHistory.RawWindow;

    protected override async Task OnParametersSetAsync()
    {
        error = null;
        bin = ActivityHistory.BinFor(Window.Span);
        try
        {
            waits = await History.WaitsOverTimeAsync(TargetName, Window.From, Window.To, bin);
            statements = await History.WaitingStatementsAsync(TargetName, Window.From, Window.To);
            locks = await History.LockWaitsAsync(TargetName, Window.From, Window.To);
        }
        catch (NpgsqlException ex)
        {
            (waits, statements, locks, error) = ([], [], [], $"The activity history could not be read: {ex.Message}");
        }
        drawPending = waits.Count > 0;
    }

    private static string Shorten(string text) => text.Length <= 160 ? text : text[..159] + "…";

    private static string Share(double part, double whole) => whole > 0 ? (part / whole).ToString("P0", CultureInfo.InvariantCulture) : "";

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!drawPending)
        {
            return;
        }
        drawPending = false;
        charts ??= await ChartModule.ImportAsync(JS);
        var times = waits.SelectMany(series => series.Points.Select(point => point.At.ToUnixTimeSeconds())).Distinct().Order().ToArray();
        // A bin without a wait had none of it: zero, not a gap.
        var series = waits.Take(8).Select(wait =>
        {
            var byTime = wait.Points.ToDictionary(point => point.At.ToUnixTimeSeconds(), point => point.AverageSessions);
            return new { label = wait.Wait, values = times.Select(at => (double?)byTime.GetValueOrDefault(at)).ToArray() };
        }).ToArray();
        await charts.InvokeVoidAsync("render", chart, new
        {
            timestamps = times, unit = "sessions", height = 260, from = Window.From.ToUnixTimeSeconds(), to = Window.To.ToUnixTimeSeconds(), series,
        });
    }

    public ValueTask DisposeAsync() => ChartModule.DisposeAsync(charts);
}
