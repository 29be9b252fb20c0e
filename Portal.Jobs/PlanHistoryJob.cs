using Portal.Features.Queries;

namespace Portal.Jobs;

/// <summary>Records the plans of every target's top statements (the plan history); a target that cannot be read does not stop the others.</summary>
public sealed class PlanHistoryJob(QueryTargets targets, PlanHistory plans) : IPortalJob
{
    public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var done = new List<string>();
        var failed = new List<string>();
        var all = targets.All;
        foreach (var (target, index) in all.Select((target, index) => (target, index)))
        {
            await context.Progress.ReportAsync(100 * index / all.Count, $"plans of {target.Name}", cancellationToken);
            try
            {
                var (explained, fresh, refused) = await plans.CaptureAsync(target.Name, cancellationToken);
                done.Add($"{target.Name}: {explained} plan(s), {fresh} new{(refused.Count > 0 ? $", {refused.Count} not explained ({refused[0]})" : "")}");
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
            {
                failed.Add($"{target.Name}: {ex.Message}");
            }
        }
        return failed.Count > 0 ? throw new InvalidOperationException(string.Join("; ", failed.Concat(done))) : string.Join("; ", done);
    }
}
