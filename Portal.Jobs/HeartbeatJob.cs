using Hangfire;
using Portal.Features.Jobs;

namespace Portal.Jobs;

/// <summary>Records that a worker is alive and running jobs; the Overview turns stale without it.</summary>
public sealed class HeartbeatJob(WorkerHeartbeats heartbeats, WorkerIdentity worker)
{
    // The next beat is due in seconds: retrying an old one would only blur the picture.
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(CancellationToken cancellationToken) => heartbeats.RecordAsync(worker, cancellationToken);
}
