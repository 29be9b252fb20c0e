using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;
using Portal.Components;

namespace Portal.Features.Queries;

public sealed partial class QueryDetailPage : RangedPage, IAsyncDisposable
{
    [Inject]
    public required QueryTargets Targets { get; init; }

    [Inject]
    public required QueryStatistics Statistics { get; init; }

    [Inject]
    public required QueryExplain Explain { get; init; }

    [Inject]
    public required IJSRuntime JS { get; init; }

    [Inject]
    public required PlanHistory PlanHistory { get; init; }

    [Parameter]
    public long QueryId { get; set; }

    [SupplyParameterFromQuery(Name = "target")]
    public string? Target { get; set; }

    private string? statementText;
    private StatementKind kind;
    private (DateTimeOffset From, DateTimeOffset To)? window;
    private IReadOnlyList<QueryRow> rows = [];
    private double allTimeMs;
    private IReadOnlyList<QueryInterval> series = [];
    private IReadOnlyList<StatementPlan> plans = [];
    private bool recordingPlan;
    private string? planMessage;
    private IReadOnlyDictionary<string, double> counters = new Dictionary<string, double>();
    private IReadOnlyList<string> parameterTypes = [];
    private string?[] parameterValues = [];
    private string? parameterRefusal;
    private bool analyze;
    private bool explaining;
    private ExplainResult? explained;
    private ElementReference callsChart, meanChart, totalChart;
    private IJSObjectReference? charts;
    private bool drawPending;

    private string TargetName => Targets.Find(Target)?.Name ?? QueryOptions.PortalTarget;


    private string KindText => kind switch
    {
        StatementKind.Read => "a read",
        StatementKind.Write => "a write (EXPLAIN plans it without running it)",
        _ => "DDL or a utility statement",
    };

    protected override async Task OnParametersSetAsync()
    {
        var text = await Statistics.TextAsync(TargetName, QueryId);
        if (text != statementText)
        {
            statementText = text;
            kind = text is null ? StatementKind.Other : QueryExplain.Classify(text);
            explained = null;
            (parameterTypes, parameterRefusal) = text is null ? ([], null) : await Explain.ParametersAsync(TargetName, text);
            parameterValues = new string?[parameterTypes.Count];
        }
        if (statementText is null)
        {
            return;
        }
        var resolved = await Statistics.ResolveAsync(TargetName, Window);
        window = resolved;
        // The statement asked for, of every user and database (its target's scope may leave it out of the lists).
        rows = (await Statistics.TopAsync(new TopQueriesRequest(TargetName, resolved.From, resolved.To, Limit: 1_000, QueryId: QueryId) { InScope = false })).Rows;
        allTimeMs = (await Statistics.TopAsync(new TopQueriesRequest(TargetName, resolved.From, resolved.To, Limit: 1))).AllTimeMs;
        series = await Statistics.SeriesAsync(TargetName, QueryId, resolved.From, resolved.To);
        counters = await Statistics.CountersAsync(TargetName, QueryId, resolved.From, resolved.To);
        plans = await PlanHistory.PlansAsync(TargetName, QueryId);
        drawPending = true;
    }

    private IEnumerable<(string Label, string Value, string Note)> Summary()
    {
        var calls = rows.Sum(row => row.Calls);
        var time = rows.Sum(row => row.TotalTimeMs);
        var hit = counters.GetValueOrDefault("shared_blks_hit");
        var read = counters.GetValueOrDefault("shared_blks_read");
        yield return ("Calls", calls.ToString("N0", CultureInfo.CurrentCulture), "in the window");
        yield return ("Total time", Durations.Milliseconds(time), allTimeMs > 0 ? $"{100 * time / allTimeMs:0.0} % of all statements' time" : "");
        yield return ("Mean", calls == 0 ? "—" : Durations.Milliseconds(time / calls), $"max {Durations.Milliseconds(counters.GetValueOrDefault("max_time_ms"))} since the target's reset");
        yield return ("Rows per call", calls == 0 ? "—" : (rows.Sum(row => row.Rows) / (double)calls).ToString("0.##", CultureInfo.CurrentCulture), $"{rows.Sum(row => row.Rows):N0} rows");
        yield return ("Cache hit", hit + read == 0 ? "—" : (100 * hit / (hit + read)).ToString("0.0", CultureInfo.CurrentCulture) + " %", $"{read:N0} blocks read from disk");
        yield return ("Temp blocks", (counters.GetValueOrDefault("temp_blks_read") + counters.GetValueOrDefault("temp_blks_written")).ToString("N0", CultureInfo.CurrentCulture), "spilled sorts and hashes");
    }

    private static InputType InputTypeOf(string type) =>
        type is "smallint" or "integer" or "bigint" or "numeric" or "real" or "double precision" or "oid" ? InputType.Number : InputType.Text;

    private async Task RecordPlanAsync()
    {
        recordingPlan = true;
        try
        {
            var (isNew, refusal) = await PlanHistory.RecordAsync(TargetName, QueryId);
            planMessage = refusal ?? (isNew ? "A new plan: recorded, and followed from now on." : "The same plan as recorded: seen again now.");
            plans = await PlanHistory.PlansAsync(TargetName, QueryId);
        }
        finally
        {
            recordingPlan = false;
        }
    }

    private async Task ExplainAsync()
    {
        explaining = true;
        try
        {
            explained = await Explain.ExplainAsync(TargetName, statementText!, parameterValues, analyze);
        }
        finally
        {
            explaining = false;
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (statementText is null)
        {
            return;
        }
        charts ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/timeseries.js");
        if (drawPending && window is { } shown)
        {
            drawPending = false;
            var timestamps = series.Select(point => point.At.ToUnixTimeMilliseconds() / 1000.0).ToArray();
            object Payload(string label, string unit, IEnumerable<double?> values) => new
            {
                timestamps, unit, height = 220,
                from = shown.From.ToUnixTimeMilliseconds() / 1000.0, to = shown.To.ToUnixTimeMilliseconds() / 1000.0,
                series = new[] { new { label, values = values.ToArray() } },
            };
            await charts.InvokeVoidAsync("render", callsChart, Payload("calls/s", "/s", series.Select(point => (double?)point.CallsPerSecond)));
            await charts.InvokeVoidAsync("render", meanChart, Payload("mean", "ms", series.Select(point => point.MeanTimeMs)));
            await charts.InvokeVoidAsync("render", totalChart, Payload("total", "ms", series.Select(point => (double?)point.TimeMs)));
        }
    }

    protected override IReadOnlyDictionary<string, string?> Filters => new Dictionary<string, string?> { ["target"] = Target };

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
                // The circuit is gone, and the charts with it.
            }
        }
    }
}
