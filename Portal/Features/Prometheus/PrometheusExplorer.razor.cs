using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;
using Portal.Components;
using Portal.Features.Cache;

namespace Portal.Features.Prometheus;

public sealed partial class PrometheusExplorer : IAsyncDisposable
{
    [Inject]
    public required PrometheusClient Client { get; init; }

    [Inject]
    public required PortalCache Cache { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required IJSRuntime JS { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [SupplyParameterFromQuery(Name = "q")]
    public string? Query { get; set; }

    [SupplyParameterFromQuery(Name = "range")]
    public string? RangeKey { get; set; }

    [SupplyParameterFromQuery(Name = "from")]
    public string? From { get; set; }

    [SupplyParameterFromQuery(Name = "to")]
    public string? To { get; set; }

    /// <summary>Seconds or a duration (15s, 1m); empty for a step chosen from the range and the chart's width.</summary>
    [SupplyParameterFromQuery(Name = "step")]
    public string? Step { get; set; }

    [SupplyParameterFromQuery(Name = "server")]
    public string? Server { get; set; }

    public sealed record SeriesRow(string Name, double? Last, double? Min, double? Max, int Points);

    private ElementReference chart;
    private IJSObjectReference? module;
    private int chartWidth = 1000;
    private string draft = "";
    private string? ranQuery;
    private bool running;
    private PrometheusAnswer? answer;
    private bool fromCache;
    private IReadOnlyList<SeriesRow> rows = [];
    private string? error;
    private IReadOnlyList<string> history = [];
    private bool chartPending;

    private TimeRange Window { get; set; } = null!;

    private TimeSpan AutoStep => Window.StepFor(chartWidth);

    private TimeSpan StepUsed => PrometheusEndpoints.TryDuration(Step, out var step) ? step : AutoStep;

    protected override async Task OnParametersSetAsync()
    {
        Window = TimeRange.Parse(RangeKey, From, To, Time.GetUtcNow());
        draft = Query ?? draft;
        if (!string.IsNullOrWhiteSpace(Query) && module is not null)
        {
            await ExecuteAsync();
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/timeseries.js");
            chartWidth = await module.InvokeAsync<int>("width", chart);
            history = await module.InvokeAsync<string[]>("history");
            if (!string.IsNullOrWhiteSpace(Query))
            {
                await ExecuteAsync();
            }
            StateHasChanged();
        }
        if (chartPending && module is not null)
        {
            chartPending = false;
            await DrawAsync();
        }
    }

    private async Task KeyDownAsync(KeyboardEventArgs key)
    {
        if (key is { Key: "Enter", CtrlKey: true } or { Key: "Enter", MetaKey: true })
        {
            await RunAsync();
        }
    }

    private async Task RunAsync()
    {
        if (draft.Trim() == Query?.Trim())
        {
            Window = TimeRange.Parse(RangeKey, From, To, Time.GetUtcNow()); // a preset range moves with "now"
            await ExecuteAsync();
        }
        else
        {
            Apply(("q", draft.Trim()));
        }
    }

    private Task LoadAsync(string query)
    {
        draft = query;
        return RunAsync();
    }

    private Task RangeChangedAsync(TimeRange range)
    {
        var (key, from, to) = range.ToQuery();
        Apply(("range", key), ("from", from), ("to", to));
        return Task.CompletedTask;
    }

    private async Task ExecuteAsync()
    {
        if (string.IsNullOrWhiteSpace(Query) || running)
        {
            return;
        }
        running = true;
        try
        {
            // Ends aligned to the step, so the same view asked again within a step is the same cache key.
            var step = StepUsed;
            var stepSeconds = Math.Max(1, (long)step.TotalSeconds);
            var until = DateTimeOffset.FromUnixTimeSeconds(Window.To.ToUnixTimeSeconds() / stepSeconds * stepSeconds);
            var from = until - Window.Span;
            var (query, server) = (Query, Server);
            var cached = await Cache.GetOrCreateAsync(CacheOptions.PrometheusRange, new { query, from, until, resolution = step, server },
                token => new ValueTask<PrometheusAnswer>(Client.QueryRangeAsync(query, from, until, step, server, token)));
            (answer, fromCache) = (cached.Value, cached.FromCache);
            Window = new TimeRange(Window.Key, from, until);
            rows = answer.Result.Series.Select(Row).ToList();
            error = null;
            ranQuery = Query;
            history = module is null ? history : await module.InvokeAsync<string[]>("remember", Query);
            chartPending = true;
        }
        catch (PrometheusQueryException ex)
        {
            (answer, rows, error) = (null, [], $"Prometheus refused the query ({ex.ErrorType}): {ex.Message}");
        }
        catch (PrometheusUnavailableException ex)
        {
            (answer, rows, error) = (null, [], ex.Message);
        }
        finally
        {
            running = false;
        }
        if (module is not null && answer is null)
        {
            await module.InvokeVoidAsync("dispose", chart);
        }
        StateHasChanged();
    }

    private async Task DrawAsync()
    {
        if (answer is null || module is null)
        {
            return;
        }
        var series = answer.Result.Series;
        var timestamps = series.SelectMany(s => s.Samples.Select(sample => sample.Timestamp.ToUnixTimeMilliseconds() / 1000.0)).Distinct().Order().ToArray();
        var index = timestamps.Select((seconds, position) => (seconds, position)).ToDictionary(pair => pair.seconds, pair => pair.position);
        var payload = new
        {
            timestamps,
            unit = UnitOf(ranQuery ?? ""),
            from = Window.From.ToUnixTimeMilliseconds() / 1000.0,
            to = Window.To.ToUnixTimeMilliseconds() / 1000.0,
            series = series.Select(s =>
            {
                var values = new double?[timestamps.Length];
                foreach (var sample in s.Samples)
                {
                    values[index[sample.Timestamp.ToUnixTimeMilliseconds() / 1000.0]] = double.IsFinite(sample.Value) ? sample.Value : null;
                }
                return new { label = s.Name, values };
            }).ToList(),
        };
        await module.InvokeVoidAsync("render", chart, payload);
    }

    private static SeriesRow Row(PrometheusSeries series)
    {
        var finite = series.Samples.Select(sample => sample.Value).Where(double.IsFinite).ToList();
        return new SeriesRow(series.Name, series.Samples.Count > 0 ? series.Samples[^1].Value : null,
            finite.Count > 0 ? finite.Min() : null, finite.Count > 0 ? finite.Max() : null, series.Samples.Count);
    }

    /// <summary>The unit the metric's name states (Prometheus naming conventions): seconds, bytes, or a rate of a counter.</summary>
    public static string UnitOf(string query)
    {
        // The metric is the identifier with a selector or a range after it; a bare name otherwise ("up").
        var metric = Regex.Match(query, @"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]") is { Success: true } selected
            ? selected.Groups[1].Value
            : Regex.Match(query, @"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*$").Groups[1].Value;
        var stem = Regex.Replace(metric, "_(total|count|sum|bucket)$", "");
        var unit = metric.EndsWith("_count", StringComparison.Ordinal) ? "" // a histogram's count counts observations
            : stem.EndsWith("_seconds", StringComparison.Ordinal) ? "s"
            : stem.EndsWith("_bytes", StringComparison.Ordinal) ? "B"
            : stem.EndsWith("_percent", StringComparison.Ordinal) ? "%"
            : "";
        var perSecond = Regex.IsMatch(query, @"\b(i?rate|deriv)\s*\(") && !query.Contains("histogram_quantile", StringComparison.Ordinal);
        return perSecond ? $"{unit}/s" : unit;
    }

    private static string Format(double? value) => value switch
    {
        null => "—",
        { } v when double.IsNaN(v) => "NaN",
        { } v when double.IsPositiveInfinity(v) => "+Inf",
        { } v when double.IsNegativeInfinity(v) => "-Inf",
        { } v => v.ToString("G6", CultureInfo.InvariantCulture),
    };

    private void Apply(params (string Name, string? Value)[] changes) => Navigation.ReplaceQuery(
        new Dictionary<string, string?> { ["q"] = Query, ["range"] = RangeKey, ["from"] = From, ["to"] = To, ["step"] = Step, ["server"] = Server }, changes);

    public async ValueTask DisposeAsync()
    {
        if (module is not null)
        {
            try
            {
                await module.InvokeVoidAsync("dispose", chart);
                await module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is gone, and the chart with it.
            }
        }
    }
}
