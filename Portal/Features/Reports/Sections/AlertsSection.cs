using Portal.Components;
using Portal.Features.Alerts;

namespace Portal.Features.Reports.Sections;

/// <summary>The alert rules that fired in the period, from the Alerts feature.</summary>
internal sealed class AlertsSection(AlertStore alerts) : IReportSection
{
    public IEnumerable<ReportRead> Reads(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        yield return new("alert history", async () => draft.Findings.AddRange(await AlertsFiredAsync(scope, period, cancellationToken)));
    }

    private async Task<IReadOnlyList<Finding>> AlertsFiredAsync(ReportScope scope, ReportPeriod period, CancellationToken cancellationToken)
    {
        var fired = await alerts.FiredAsync(period.Start, period.End, scope.Services, cancellationToken);
        return fired.Select(alert => new Finding("alert", $"{alert.Rule} ({alert.Severity}) fired {(alert.Times == 1 ? "once" : $"{alert.Times} times")}",
            $"{(alert.Service is null ? "" : $"service {alert.Service}, ")}first at {alert.First.UtcDateTime:yyyy-MM-dd HH:mm} UTC", PortalLinks.Alert(alert.Fingerprint))).ToList();
    }
}
