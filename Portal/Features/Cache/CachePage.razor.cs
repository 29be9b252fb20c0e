using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;
using Portal.Components;
using Portal.Components.Live;
using Portal.Features.Auth;

namespace Portal.Features.Cache;

public sealed partial class CachePage : RangedPage, IAsyncDisposable
{
    private const int RefreshSeconds = 5;

    [Inject]
    public required CacheOverview Overview { get; init; }

    [Inject]
    public required IJSRuntime JS { get; init; }

    [Inject]
    public required LiveFeeds Feeds { get; init; }

    [Inject]
    public required LiveViewer Viewer { get; init; }

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = default!;

    private RedisPanel? redis;
    private IReadOnlyList<CategoryPanel> categories = [];
    private string? message;
    private IReadOnlyList<RedisTrendPoint>? trend;
    private ElementReference hitChart;
    private ElementReference memoryChart;
    private IJSObjectReference? charts;
    private bool drawPending;
    private LiveFollow<CacheSnapshot>? live;
    private bool isAdmin;

    // Once, not an AuthorizeView per row (a component each); FlushAsync checks the role again.
    protected override async Task OnInitializedAsync() => isAdmin = (await Authentication).User.IsInRole(PortalRoles.Admin);

    // One read per trend range and interval for every viewer (LiveFeeds); the charts redraw when the data changed.
    protected override Task OnParametersSetAsync() => LoadAsync();

    protected override IReadOnlyDictionary<string, string?> Filters => new Dictionary<string, string?>();

    private async Task LoadAsync()
    {
        live ??= Feeds.Follow<CacheSnapshot>(Viewer, () => InvokeAsync(() =>
        {
            Show();
            StateHasChanged();
        }));
        var (range, from, to) = Window.ToQuery();
        await live.FollowAsync($"cache?range={range}" + (from is null ? "" : $"&from={from}&to={to}"), TimeSpan.FromSeconds(RefreshSeconds),
            (services, _) => CacheSnapshot.ReadAsync(services, TimeRange.Parse(range, from, to, services.GetRequiredService<TimeProvider>().GetUtcNow(), fallback: "24h")));
        Show();
    }

    private void Show()
    {
        if (live?.Current?.Value is { } snapshot)
        {
            (redis, categories, trend) = (snapshot.Redis, snapshot.Categories, snapshot.Trend);
            drawPending = true;
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            charts = await JS.InvokeAsync<IJSObjectReference>("import", "./js/timeseries.js");
        }
        if (drawPending && charts is not null && trend is { Count: >= 2 } points)
        {
            drawPending = false;
            var timestamps = points.Select(point => point.At.ToUnixTimeMilliseconds() / 1000.0).ToArray();
            var (from, to) = (Window.From, Window.To);
            object Payload(string label, string unit, IEnumerable<double?> values) => new
            {
                timestamps, unit, height = 220,
                from = from.ToUnixTimeMilliseconds() / 1000.0, to = to.ToUnixTimeMilliseconds() / 1000.0,
                series = new[] { new { label, values = values.ToArray() } },
            };
            await charts.InvokeVoidAsync("render", hitChart, Payload("hit ratio", "%", points.Select(point => point.HitRatio * 100)));
            await charts.InvokeVoidAsync("render", memoryChart, Payload("used", "MiB", points.Select(point => (double?)(point.UsedMemoryBytes / 1_048_576.0))));
        }
    }

    private async Task FlushAsync(string category)
    {
        await Overview.FlushAsync((await Authentication).User, category);
        message = $"{category} flushed from memory, Redis and PostgreSQL.";
        if (live is not null)
        {
            await live.RefreshAsync();
            Show();
        }
    }

    private static string TierSizeText(TierSize? size, int limit) => size is null
        ? "unavailable"
        : $"{(size.Entries >= limit ? "≥ " : "")}{size.Entries:N0} · {Bytes(size.Bytes)}";

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => $"{bytes} B",
    };

    public async ValueTask DisposeAsync()
    {
        live?.Dispose();
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

/// <summary>What the Cache page shows for one trend range, read at once for every viewer.</summary>
public sealed record CacheSnapshot(RedisPanel Redis, IReadOnlyList<CategoryPanel> Categories, IReadOnlyList<RedisTrendPoint> Trend)
{
    public static async Task<CacheSnapshot> ReadAsync(IServiceProvider services, TimeRange trendRange)
    {
        var overview = services.GetRequiredService<CacheOverview>();
        return new CacheSnapshot(
            await overview.GetRedisAsync(),
            await overview.GetCategoriesAsync(CancellationToken.None),
            await services.GetRequiredService<RedisSamples>().GetTrendAsync(CacheOverview.BundledRedis, trendRange.From, trendRange.To, CancellationToken.None));
    }
}
