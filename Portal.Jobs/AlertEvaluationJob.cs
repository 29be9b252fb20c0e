using Portal.Features.Alerts;

namespace Portal.Jobs;

/// <summary>Evaluates every alert rule and moves each alert through its states.</summary>
public sealed class AlertEvaluationJob(AlertEvaluation evaluation) : IPortalJob
{
    public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken) =>
        await evaluation.RunAsync(context.Progress, cancellationToken);
}
