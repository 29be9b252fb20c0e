using Portal.Components;
using Portal.Features.Jobs;

namespace Portal.Features.Reports.Sections;

/// <summary>Jobs that failed in the period and those stale at its end, from the Jobs feature (its one rule of freshness).</summary>
internal sealed class JobsSection(JobRunStore jobs) : IReportSection
{
    public IEnumerable<ReportRead> Reads(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        yield return new("job history", async () => draft.Findings.AddRange(await JobFindingsAsync(period, cancellationToken)));
    }

    // Jobs that failed in the period, and those past their freshness objective at its end.
    private async Task<IReadOnlyList<Finding>> JobFindingsAsync(ReportPeriod period, CancellationToken cancellationToken)
    {
        var failed = await jobs.FailuresAsync(period.Start, period.End, cancellationToken);
        var stale = (await jobs.FreshnessAtAsync([period.End], cancellationToken)).Where(job => !job.Freshness.Fresh).OrderBy(job => job.Definition.Id, StringComparer.Ordinal);
        return failed.Select(job => new Finding("job", $"Job {job.JobId} failed {(job.Times == 1 ? "once" : $"{job.Times} times")}", $"last error: {job.LastError ?? "—"}", PortalLinks.Jobs))
            .Concat(stale.Select(job => new Finding("job", $"Job {job.Definition.Id} was stale at the end of the period",
                job.LastSuccessAt is { } last ? $"last success {last.UtcDateTime:yyyy-MM-dd HH:mm} UTC" : "no success recorded", PortalLinks.Jobs)))
            .ToList();
    }
}
