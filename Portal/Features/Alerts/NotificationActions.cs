using Portal.Features.Auth;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using Portal.Features.Audit;

namespace Portal.Features.Alerts;

/// <summary>
/// What an admin does to notifications, from the pages or the API, audited: "Send test message" to a destination
/// (queued in the outbox and sent by the worker like any notification), and a dead notification sent back to the outbox.
/// </summary>
public sealed class NotificationActions(AlertStore store, NotificationDestinations destinations, AuditLog audit, IOptions<NotificationOptions> options, TimeProvider time)
{
    /// <summary>A note at most this long.</summary>
    public const int NoteLimit = 1000;

    /// <summary>
    /// Someone is on the alert: every group that told of it sends no repeats until its alerts change or resolve, and the
    /// destinations that track acknowledgement (PagerDuty, Opsgenie) are told. Audited with the note.
    /// </summary>
    /// <returns>The groups acknowledged; none when no notification has told of the alert yet.</returns>
    public async Task<IReadOnlyList<AlertGroup>> AcknowledgeAsync(ClaimsPrincipal actor, string fingerprint, string? note, CancellationToken cancellationToken = default)
    {
        PortalRoles.Demand(actor, PortalRoles.Developer, "acknowledge an alert");
        var who = AuditLog.ActorOf(actor);
        var acknowledgement = new Acknowledgement(time.GetUtcNow(), who, string.IsNullOrWhiteSpace(note) ? null : note.Trim());
        var groups = await store.AcknowledgeAsync(fingerprint, acknowledgement,
            group => ChannelMessages.Acknowledgement(destinations.Find(group.Destination)?.Kind ?? DestinationKinds.Slack, group, acknowledgement), cancellationToken);
        if (groups.Count > 0)
        {
            await audit.RecordAsync(who, "alerts.acknowledge", fingerprint, null,
                new { note = acknowledgement.Note, groups = groups.Select(group => group.GroupKey).ToList() }, cancellationToken);
        }
        return groups;
    }

    /// <returns>The queued notification's id, or null when no such destination is configured.</returns>
    public async Task<long?> SendTestAsync(ClaimsPrincipal actor, string destination, CancellationToken cancellationToken = default)
    {
        PortalRoles.Demand(actor, PortalRoles.Admin, "send a test alert");
        if (destinations.Find(destination) is not { } known)
        {
            return null;
        }
        var who = AuditLog.ActorOf(actor);
        var id = await store.QueueTestAsync(known, who, options.Value.PortalUrl, cancellationToken);
        await audit.RecordAsync(who, "alerts.test", destination, null, new { notification = id }, cancellationToken);
        return id;
    }

    /// <returns>False when the notification is not dead (sent, still pending, or unknown).</returns>
    public async Task<bool> RetryAsync(ClaimsPrincipal actor, long id, CancellationToken cancellationToken = default)
    {
        PortalRoles.Demand(actor, PortalRoles.Admin, "retry a notification");
        if (!await store.RetryAsync(id, cancellationToken))
        {
            return false;
        }
        await audit.RecordAsync(AuditLog.ActorOf(actor), "alerts.retry", $"notification {id}", new { status = "dead" }, new { status = "pending" }, cancellationToken);
        return true;
    }
}
