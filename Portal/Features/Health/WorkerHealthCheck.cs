using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Portal.Components;
using Portal.Features.Jobs;

namespace Portal.Features.Health;

/// <summary>Healthy while some worker's heartbeat job ran within <see cref="WorkerOptions.StaleAfterSeconds"/>.</summary>
public sealed class WorkerHealthCheck(WorkerHeartbeats heartbeats, IOptions<WorkerOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var workers = await heartbeats.GetRecentAsync(TimeSpan.FromDays(1), cancellationToken);
        if (workers.Count == 0)
        {
            return new HealthCheckResult(context.Registration.FailureStatus,
                "No worker has reported in the last day: start Portal.Jobs (`./portal up` starts it).");
        }

        var stale = TimeSpan.FromSeconds(options.Value.StaleAfterSeconds);
        var alive = workers.Count(worker => worker.StoppedAt is null && worker.AgeSeconds <= stale.TotalSeconds);
        var latest = workers[0];
        var age = Durations.Ago(TimeSpan.FromSeconds(latest.AgeSeconds));
        var data = new Dictionary<string, object> { ["node"] = latest.Node, ["ageSeconds"] = Math.Round(latest.AgeSeconds, 1), ["alive"] = alive };
        if (alive > 0)
        {
            return HealthCheckResult.Healthy($"{alive} worker(s) alive · last heartbeat {age} on {latest.Node}", data);
        }

        return new HealthCheckResult(context.Registration.FailureStatus, latest.StoppedAt is not null
            ? $"Stopped: no worker running; {latest.Node} shut down cleanly at {latest.StoppedAt:HH:mm:ss} UTC"
            : $"Stale: last heartbeat {age} on {latest.Node}; the worker may have died or hung", data: data);
    }
}
