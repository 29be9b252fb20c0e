using Portal.Features.Scorecards;

namespace Portal.Jobs;

/// <summary>Evaluates every SLA objective's SLI for the 5-minute intervals since its last evaluation.</summary>
public sealed class ScorecardEvaluationJob(ScorecardEvaluation evaluation) : IPortalJob
{
    public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken) =>
        await evaluation.RunAsync(context.Progress, cancellationToken);
}
