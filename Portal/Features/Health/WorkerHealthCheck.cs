using Humanizer;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
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

        var latest = workers[0];
        var age = TimeSpan.FromSeconds(latest.AgeSeconds);
        var alive = workers.Count(worker => worker.AgeSeconds <= options.Value.StaleAfterSeconds);
        var data = new Dictionary<string, object> { ["node"] = latest.Node, ["ageSeconds"] = Math.Round(latest.AgeSeconds, 1), ["alive"] = alive };
        return alive > 0
            ? HealthCheckResult.Healthy($"{alive} worker(s) alive · last heartbeat {age.Humanize()} ago on {latest.Node}", data)
            : new HealthCheckResult(context.Registration.FailureStatus,
                $"Stale: last heartbeat {age.Humanize()} ago on {latest.Node}", data: data);
    }
}
