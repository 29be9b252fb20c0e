using Portal.Features.Jobs;

namespace Portal.Jobs;

/// <summary>
/// Announces the worker as soon as it starts (the Overview need not wait for the first heartbeat job) and marks it
/// stopped on a clean shutdown, so "stopped" and "died" look different.
/// </summary>
public sealed class WorkerRegistration(WorkerHeartbeats heartbeats, WorkerIdentity worker, ILogger<WorkerRegistration> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => heartbeats.RecordAsync(worker, cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await heartbeats.RecordStoppedAsync(worker, cancellationToken);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or OperationCanceledException or TimeoutException)
        {
            // The Overview will call this worker stale instead of stopped; nothing else depends on it.
            logger.LogWarning("Could not record that worker {Node} stopped: {Message}", worker.Node, ex.Message);
        }
    }
}
