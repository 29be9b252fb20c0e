using System.Security.Claims;
using Microsoft.Extensions.Options;
using Portal.Features.Audit;

namespace Portal.Features.Alerts;

/// <summary>"Send test message" (the Alerts page and <c>POST /api/v1/alerts/test</c>): queued in the outbox, sent by the worker, audited.</summary>
public sealed class TestMessage(AlertStore store, AuditLog audit, IOptions<NotificationOptions> options)
{
    public async Task<long> QueueAsync(ClaimsPrincipal actor, CancellationToken cancellationToken = default)
    {
        var who = AuditLog.ActorOf(actor);
        var id = await store.QueueTestAsync(NotificationPolicy.DefaultDestination, who, options.Value.PortalUrl, cancellationToken);
        await audit.RecordAsync(who, "alerts.test", NotificationPolicy.DefaultDestination, null, new { notification = id }, cancellationToken);
        return id;
    }
}
