using Portal.Features.Queries;

namespace Portal.Jobs;

/// <summary>The nightly aggregation (02:00 UTC): query statistics thinned to daily rows past their raw retention.</summary>
public sealed class NightlyAggregationJob(QuerySnapshots snapshots) : IPortalJob
{
    public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var (thinned, expired) = await snapshots.ApplyRetentionAsync(cancellationToken);
        return $"query statistics: {thinned:N0} 5-minute rows folded into daily rows, {expired:N0} expired rows deleted";
    }
}
