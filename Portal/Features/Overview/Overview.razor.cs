using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Portal.Components.Live;
using Portal.Features.Health;
using Portal.Features.Jobs;
using Portal.Features.Prometheus;

namespace Portal.Features.Overview;

public sealed partial class Overview : IDisposable
{
    [Inject]
    public required DependencyStatusStore Store { get; init; }

    [Inject]
    public required IOptions<HealthOptions> Options { get; init; }

    [Inject]
    public required IOptions<WorkerOptions> Worker { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [Inject]
    public required LiveFeeds Feeds { get; init; }

    [Inject]
    public required LiveViewer Viewer { get; init; }

    private IReadOnlyList<DependencyStatus> dependencies = [];
    private IReadOnlyList<WorkerHeartbeat>? workers; // null until the first read finishes
    private string? workersError;
    private DateTimeOffset now;
    private int refreshQueued;
    private LiveFollow<IReadOnlyList<WorkerHeartbeat>>? live;
    private LiveFollow<IReadOnlyList<NodeInstance>>? hosts;
    private IReadOnlyList<NodeInstance>? infrastructure;
    private string? infrastructureError;

    /// <summary>How long the page's first render waits for the hosts' figures before it shows their panel as loading.</summary>
    public static readonly TimeSpan InfrastructureWait = TimeSpan.FromMilliseconds(500);

    protected override async Task OnInitializedAsync()
    {
        // Subscribe first: a probe finishing while the first load runs must not be missed.
        Store.Changed += OnStoreChanged;
        now = Time.GetUtcNow();
        dependencies = Store.Current;
        // The heartbeats: one read every 5 s for every viewer of the page (LiveFeeds); the probes are in memory already.
        live = Feeds.Follow<IReadOnlyList<WorkerHeartbeat>>(Viewer, () => InvokeAsync(() =>
        {
            Show();
            StateHasChanged();
        }));
        // The hosts: the last hour of node_exporter through Prometheus, read once a minute for every viewer.
        hosts = Feeds.Follow<IReadOnlyList<NodeInstance>>(Viewer, () => InvokeAsync(() =>
        {
            Show();
            StateHasChanged();
        }));
        var infrastructureRead = hosts.FollowAsync("overview-infrastructure", TimeSpan.FromMinutes(1), (services, cancellationToken) =>
        {
            var to = services.GetRequiredService<TimeProvider>().GetUtcNow();
            return services.GetRequiredService<NodeUtilisation>().ReadAsync(to.AddHours(-1), to, cancellationToken);
        });
        await live.FollowAsync("overview-workers", TimeSpan.FromSeconds(5),
            (services, cancellationToken) => services.GetRequiredService<WorkerHeartbeats>().GetRecentAsync(TimeSpan.FromDays(1), cancellationToken));
        // A slow or hung Prometheus (its client waits Prometheus:TimeoutSeconds) keeps only its own panel loading, not the page.
        if (await Task.WhenAny(infrastructureRead, Task.Delay(InfrastructureWait)) != infrastructureRead)
        {
            _ = infrastructureRead.ContinueWith(_ => InvokeAsync(() =>
            {
                Show();
                StateHasChanged();
            }), TaskScheduler.Default);
        }
        Show();
    }

    private void Show()
    {
        now = Time.GetUtcNow();
        // PostgreSQL down: its card already says so; this panel says why it is empty.
        workersError = live?.Current?.Error;
        workers = live?.Current?.Value ?? (workersError is null ? null : []);
        infrastructureError = hosts?.Current?.Error;
        infrastructure = hosts?.Current?.Value ?? (infrastructureError is null ? null : []);
    }

    // Probes report in bursts (one per dependency); coalesce them into one re-render.
    private void OnStoreChanged()
    {
        if (Interlocked.Exchange(ref refreshQueued, 1) == 1)
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            await Task.Delay(200);
            Interlocked.Exchange(ref refreshQueued, 0);
            now = Time.GetUtcNow();
            dependencies = Store.Current;
            StateHasChanged();
        });
    }

    public void Dispose()
    {
        Store.Changed -= OnStoreChanged;
        live?.Dispose();
        hosts?.Dispose();
    }
}
