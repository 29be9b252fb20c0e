using Portal.Features.Auth;
using System.Security.Claims;
using Hangfire;
using Hangfire.Storage;
using Portal.Features.Audit;

namespace Portal.Features.Jobs;

/// <summary>
/// Is the job's output fresh at an instant: it succeeded within its freshness objective before it, or it was registered
/// within its objective before it (a job added at 10:00 with a day's freshness is not stale at 10:05; one that has never
/// succeeded is stale from its registration plus its objective). The one definition of freshness: the Jobs page, the
/// JobStale alert rule, the job SLI and the report ask it.
/// </summary>
public sealed record JobFreshness(bool Fresh, DateTimeOffset? StaleSince, TimeSpan Objective)
{
    public static JobFreshness Of(JobDefinitionRow definition, DateTimeOffset? lastSuccessAt, DateTimeOffset at)
    {
        var objective = TimeSpan.FromSeconds(definition.FreshnessSeconds);
        var staleFrom = (lastSuccessAt is { } success && success > definition.RegisteredAt ? success : definition.RegisteredAt) + objective;
        return at <= staleFrom ? new JobFreshness(true, null, objective) : new JobFreshness(false, staleFrom, objective);
    }
}

/// <summary>Everything the Jobs page and <c>GET /api/v1/jobs</c> show about one recurring job.</summary>
public sealed record JobOverview(
    JobDefinitionRow Definition,
    string Schedule,
    DateTimeOffset? NextRunAt,
    JobRun? LastRun,
    JobStatistics? Statistics,
    JobFreshness Freshness)
{
    public double? SuccessRate => Statistics is { RecentRuns: > 0 } statistics ? (double)statistics.RecentSuccesses / statistics.RecentRuns : null;
}

public enum JobCommandResult
{
    Done,
    UnknownJob,
    Paused,
}

/// <summary>The web side of jobs: reads the catalogue and history, and asks the worker to run, pause or resume (audited).</summary>
public sealed class JobsService(JobRunStore runs, JobStorage storage, IRecurringJobManagerV2 recurringJobs, AuditLog audit, TimeProvider time)
{
    public async Task<IReadOnlyList<JobOverview>> GetOverviewAsync(CancellationToken cancellationToken = default)
    {
        var definitions = await runs.GetDefinitionsAsync(cancellationToken);
        var lastRuns = await runs.GetLastRunsAsync(cancellationToken);
        var statistics = await runs.GetStatisticsAsync(cancellationToken: cancellationToken);
        Dictionary<string, DateTime?> nextExecutions;
        using (var connection = storage.GetConnection())
        {
            nextExecutions = connection.GetRecurringJobs().ToDictionary(job => job.Id, job => job.NextExecution);
        }

        var now = time.GetUtcNow();
        return definitions.Select(definition =>
        {
            var zone = TimeZoneInfo.TryFindSystemTimeZoneById(definition.TimeZone, out var found) ? found : TimeZoneInfo.Utc;
            var next = nextExecutions.GetValueOrDefault(definition.Id) is { } utc ? new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)) : (DateTimeOffset?)null;
            var stats = statistics.GetValueOrDefault(definition.Id);
            return new JobOverview(definition, JobSchedule.Describe(definition.Cron, zone), next, lastRuns.GetValueOrDefault(definition.Id), stats,
                JobFreshness.Of(definition, stats?.LastSuccessAt, now));
        }).ToList();
    }

    /// <summary>Enqueues the job now (the worker runs it), recording who asked.</summary>
    public async Task<(JobCommandResult Result, string? HangfireJobId)> RunNowAsync(ClaimsPrincipal actor, string jobId, CancellationToken cancellationToken = default)
    {
        PortalRoles.Demand(actor, PortalRoles.Admin, "run a job");
        var definition = await runs.GetDefinitionAsync(jobId, cancellationToken);
        if (definition is null)
        {
            return (JobCommandResult.UnknownJob, null);
        }
        if (definition.Paused)
        {
            return (JobCommandResult.Paused, null);
        }

        string hangfireJobId;
        using (TriggeredBy.Scope(AuditLog.ActorOf(actor)))
        {
            hangfireJobId = recurringJobs.TriggerJob(jobId);
        }
        await audit.RecordAsync(AuditLog.ActorOf(actor), "job.run", jobId, null, new { hangfireJobId }, cancellationToken);
        return (JobCommandResult.Done, hangfireJobId);
    }

    public async Task<JobCommandResult> SetPausedAsync(ClaimsPrincipal actor, string jobId, bool paused, CancellationToken cancellationToken = default)
    {
        PortalRoles.Demand(actor, PortalRoles.Admin, "pause or resume a job");
        var before = await runs.SetPausedAsync(jobId, paused, AuditLog.ActorOf(actor), cancellationToken);
        if (before is null)
        {
            return JobCommandResult.UnknownJob;
        }
        await audit.RecordAsync(AuditLog.ActorOf(actor), paused ? "job.pause" : "job.resume", jobId,
            new { before.Paused }, new { Paused = paused }, cancellationToken);
        return JobCommandResult.Done;
    }
}
