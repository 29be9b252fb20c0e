using Portal.Features.Queries;
using Portal.Features.Scorecards;
using Portal.Features.Vitals;

namespace Portal.Jobs;

/// <summary>
/// The nightly aggregation (02:00 UTC): Web Vitals' partitions kept a week ahead and past the retention dropped, the
/// last two days rolled up (idempotent: a rerun rewrites the same rows), query statistics folded into daily rows.
/// </summary>
public sealed class NightlyAggregationJob(QuerySnapshots snapshots, ActivityHistory activity, VitalsStore vitals, ScorecardEvaluation scorecards, TimeProvider time) : IPortalJob
{
    public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        await context.Progress.ReportAsync(0, "Web Vitals partitions", cancellationToken);
        await vitals.MaintainPartitionsAsync(cancellationToken);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var rollups = 0;
        foreach (var day in new[] { today.AddDays(-2), today.AddDays(-1) })
        {
            await context.Progress.ReportAsync(30, $"Web Vitals rollup of {day:yyyy-MM-dd}", cancellationToken);
            rollups += await vitals.RollUpAsync(day, cancellationToken);
        }
        await context.Progress.ReportAsync(60, "query statistics", cancellationToken);
        var (thinned, expired, forgotten) = await snapshots.ApplyRetentionAsync(cancellationToken);
        await context.Progress.ReportAsync(70, "activity history", cancellationToken);
        var (folded, expiredActivity) = await activity.ApplyRetentionAsync(cancellationToken);
        await context.Progress.ReportAsync(80, "SLI samples", cancellationToken);
        var sliDays = await scorecards.RollUpAsync(cancellationToken);
        return $"Web Vitals: {rollups:N0} daily rows for {today.AddDays(-2):yyyy-MM-dd} and {today.AddDays(-1):yyyy-MM-dd}; " +
               $"query statistics: {thinned:N0} 5-minute rows folded into daily rows, {expired:N0} expired rows deleted, {forgotten:N0} statements gone from their target forgotten; " +
               $"activity history: {folded:N0} hourly rows written, {expiredActivity:N0} expired; SLI samples: {sliDays:N0} daily rows";
    }
}
