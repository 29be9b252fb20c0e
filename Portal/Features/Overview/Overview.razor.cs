using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Portal.Features.Health;
using Portal.Features.Jobs;

namespace Portal.Features.Overview;

public sealed partial class Overview : IDisposable
{
    [Inject]
    public required DependencyStatusStore Store { get; init; }

    [Inject]
    public required WorkerHeartbeats Heartbeats { get; init; }

    [Inject]
    public required IOptions<HealthOptions> Options { get; init; }

    [Inject]
    public required IOptions<WorkerOptions> Worker { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [Inject]
    public required ILogger<Overview> Logger { get; init; }

    private IReadOnlyList<DependencyStatus> dependencies = [];
    private IReadOnlyList<WorkerHeartbeat>? workers; // null until the first read finishes
    private string? workersError;
    private DateTimeOffset now;
    private int refreshQueued;

    protected override async Task OnInitializedAsync()
    {
        // Subscribe first: a probe finishing while the first load runs must not be missed.
        Store.Changed += OnStoreChanged;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        now = Time.GetUtcNow();
        dependencies = Store.Current;
        try
        {
            workers = await Heartbeats.GetRecentAsync(TimeSpan.FromDays(1), CancellationToken.None);
            workersError = null;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // PostgreSQL down: its card already says so; this panel says why it is empty.
            Logger.LogDebug(ex, "Worker heartbeats unavailable");
            workersError = ex.Message;
            workers = [];
        }
    }

    // Probes report in bursts (one per dependency); coalesce them into one refresh.
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
            await LoadAsync();
            StateHasChanged();
        });
    }

    public void Dispose() => Store.Changed -= OnStoreChanged;
}
