using Portal.Components;
using Portal.Features.Auth;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using MimeKit;
using Portal.Features.Audit;

namespace Portal.Features.Reports;

/// <summary>Generating a report (archived as it is made) and sending one, for the schedule, the preview and the archive's "send".</summary>
public sealed class Reports(BaselineReportBuilder builder, ReportMail mail, ReportMailer mailer, ReportArchive archive, AuditLog audit, IOptions<ReportOptions> options, TimeProvider time)
{
    public string? PortalUrl => options.Value.PortalUrl;

    /// <summary>Builds the report of the last whole period (in the time zone) and archives it.</summary>
    /// <param name="soFar">The period in progress rather than the last whole one (a preview for an app onboarded this week).</param>
    public async Task<(long Id, BaselineReport Report)> GenerateAsync(
        ReportScope scope, string kind, string timeZone, string generatedBy, bool soFar = false, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var report = await builder.BuildAsync(scope, soFar ? ReportPeriod.SoFar(kind, now, timeZone) : ReportPeriod.Last(kind, now, timeZone), cancellationToken);
        var id = await archive.SaveAsync(report, await mail.ArchiveHtmlAsync(report, PortalUrl), generatedBy, cancellationToken);
        return (id, report);
    }

    public async Task SendAsync(long id, BaselineReport report, MailboxAddress to, string? unsubscribeUrl, CancellationToken cancellationToken = default)
    {
        var links = new ReportMail.Links(PortalUrl, PortalLinks.Absolute(PortalUrl, PortalLinks.Report(id)), unsubscribeUrl);
        await mailer.SendAsync(await mail.ComposeAsync(report, mailer.From, to, links), cancellationToken);
    }

    /// <summary>"Send me a preview now": generated now, archived, sent to one address; audited.</summary>
    public async Task<long> PreviewAsync(
        ClaimsPrincipal actor, MailboxAddress to, ReportScope scope, string kind, string timeZone, bool soFar = false, CancellationToken cancellationToken = default)
    {
        PortalRoles.Demand(actor, PortalRoles.Admin, "e-mail a report preview");
        var who = AuditLog.ActorOf(actor);
        var (id, report) = await GenerateAsync(scope, kind, timeZone, who, soFar, cancellationToken);
        await audit.RecordAsync(who, "report.preview", $"report {id}", null, new { to = to.Address, scope, kind, timeZone, soFar }, cancellationToken);
        await SendAsync(id, report, to, null, cancellationToken);
        return id;
    }

    /// <summary>An archived report sent (again) to one address; audited.</summary>
    public async Task<bool> SendArchivedAsync(ClaimsPrincipal actor, long id, MailboxAddress to, CancellationToken cancellationToken = default)
    {
        PortalRoles.Demand(actor, PortalRoles.Admin, "e-mail an archived report");
        if (await archive.GetAsync(id, cancellationToken) is not { } stored)
        {
            return false;
        }
        await audit.RecordAsync(AuditLog.ActorOf(actor), "report.send", $"report {id}", null, new { to = to.Address }, cancellationToken);
        await SendAsync(id, ReportArchive.Read(stored.DataJson), to, null, cancellationToken);
        return true;
    }
}
