using Microsoft.Extensions.Options;
using Portal.Features.Jobs;

namespace Portal.Jobs;

/// <summary>The retention of the run history that the run recorder writes.</summary>
public sealed class JobHistoryCleanupJob(JobRunStore runs, IOptions<JobsOptions> options) : IPortalJob
{
    public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var days = options.Value.HistoryRetentionDays;
        var deleted = await runs.DeleteRunsOlderThanAsync(TimeSpan.FromDays(days), cancellationToken);
        return $"deleted {deleted:N0} job runs older than {days} days";
    }
}
