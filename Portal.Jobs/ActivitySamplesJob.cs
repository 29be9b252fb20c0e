using Microsoft.Extensions.Options;
using Portal.Features.Jobs;
using Portal.Features.Queries;

namespace Portal.Jobs;

/// <summary>
/// Samples every target's pg_stat_activity into the activity history; each sample stands for the time between two fires
/// of this job's schedule (its own, or Jobs:Schedules:activity-samples), so the history's session-seconds stay true
/// when the schedule changes. A target that cannot be read does not stop the others; the run fails at the end, naming it.
/// </summary>
public sealed class ActivitySamplesJob(QueryTargets targets, ActivityHistory history, IEnumerable<JobDefinition> catalogue, IOptions<JobsOptions> options, TimeProvider time)
    : IPortalJob
{
    public const string Id = "activity-samples";

    public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var interval = JobSchedule.Interval(options.Value.Schedules.GetValueOrDefault(Id) ?? catalogue.Single(job => job.Id == Id).Cron, time.GetUtcNow())
            ?? TimeSpan.FromSeconds(10);
        var done = new List<string>();
        var failed = new List<string>();
        foreach (var target in targets.All)
        {
            try
            {
                var (sessions, locks) = await history.SampleAsync(target.Name, interval, cancellationToken);
                done.Add($"{target.Name}: {sessions} session(s){(locks > 0 ? $", {locks} lock wait(s)" : "")}");
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
            {
                failed.Add($"{target.Name}: {ex.Message}");
            }
        }
        return failed.Count > 0 ? throw new InvalidOperationException(string.Join("; ", failed.Concat(done))) : string.Join("; ", done);
    }
}
