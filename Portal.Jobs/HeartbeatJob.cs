using Portal.Features.Jobs;

namespace Portal.Jobs;

/// <summary>Records that this worker is alive and running jobs.</summary>
public sealed class HeartbeatJob(WorkerHeartbeats heartbeats, WorkerIdentity worker) : IPortalJob
{
    public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        await heartbeats.RecordAsync(worker, cancellationToken);
        return $"{worker.Node} is alive";
    }
}
