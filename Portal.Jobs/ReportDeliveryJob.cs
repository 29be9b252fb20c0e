using Portal.Features.Reports;

namespace Portal.Jobs;

/// <summary>Plans, generates and sends the subscribed reports.</summary>
public sealed class ReportDeliveryJob(ReportDelivery delivery) : IPortalJob
{
    public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken) =>
        await delivery.RunAsync(context.Progress, cancellationToken);
}
