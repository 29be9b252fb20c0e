using Hangfire.Storage;
using Hangfire;
using Microsoft.Extensions.Options;
using Portal.Features.Jobs;

namespace Portal.Jobs;

/// <summary>
/// The recurring jobs, in one place. Synced at worker start: each entry is added or updated, and recurring
/// jobs no longer listed here are removed, so the schedule in storage always matches this build.
/// </summary>
public sealed class JobCatalogue(IRecurringJobManager recurringJobs, JobStorage storage, IOptions<WorkerOptions> options, ILogger<JobCatalogue> logger)
    : IHostedService
{
    public const string Heartbeat = "heartbeat";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var utc = new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc };
        recurringJobs.AddOrUpdate<HeartbeatJob>(Heartbeat, job => job.RunAsync(CancellationToken.None), options.Value.HeartbeatCron, utc);

        string[] catalogue = [Heartbeat];
        using var connection = storage.GetConnection();
        foreach (var stale in connection.GetRecurringJobs().Select(job => job.Id).Except(catalogue))
        {
            logger.LogInformation("Removing recurring job {JobId}: no longer in the catalogue", stale);
            recurringJobs.RemoveIfExists(stale);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
