using Portal.Features.Lab;

namespace Portal.Jobs;

/// <summary>Lighthouse on every service's critical pages (the catalogue's <c>lab:</c>); fails naming what could not be audited.</summary>
public sealed class LabChecksJob(LabChecks checks) : IPortalJob
{
    public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var outcome = await checks.RunAsync(context.Progress, cancellationToken);
        return outcome.Failures.Count > 0
            ? throw new InvalidOperationException(string.Join("; ", outcome.Failures) + (outcome.Audited > 0 ? $" ({outcome.Summary})" : ""))
            : outcome.Summary;
    }
}
