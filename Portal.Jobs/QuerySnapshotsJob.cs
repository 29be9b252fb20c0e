using Portal.Features.Queries;

namespace Portal.Jobs;

/// <summary>Snapshots pg_stat_statements on every target; a target that fails does not stop the others (the run fails at the end, naming it).</summary>
public sealed class QuerySnapshotsJob(QueryTargets targets, TargetCheck check, QuerySnapshots snapshots) : IPortalJob
{
    public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var done = new List<string>();
        var failed = new List<string>();
        var all = targets.All;
        foreach (var (target, index) in all.Select((target, index) => (target, index)))
        {
            await context.Progress.ReportAsync(100 * index / all.Count, $"snapshot of {target.Name}", cancellationToken);
            var status = await check.RunAsync(target, cancellationToken);
            if (!status.Ready)
            {
                failed.Add($"{target.Name}: {string.Join(" ", status.Problems.Where(problem => problem.Blocker).Select(problem => $"{problem.What} {problem.Fix}"))}");
                continue;
            }
            var snapshot = await snapshots.TakeAsync(target.Name, cancellationToken);
            done.Add($"{target.Name}: {snapshot.Moved:N0} of {snapshot.Statements:N0} statements moved{(snapshot.Baseline ? " (baseline)" : "")}{(snapshot.ResetDetected ? " (statistics reset: new baseline)" : "")}" +
                $"{(snapshot.Evictions > 0 ? $", pg_stat_statements {new StatementEvictions(snapshot.Evictions, null).MadeRoom} (full: raise pg_stat_statements.max)" : "")}, {snapshot.DurationMs:N0} ms");
        }
        if (failed.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", failed.Concat(done)));
        }
        return string.Join("; ", done);
    }
}
