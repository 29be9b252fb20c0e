using Portal.Components;
using System.Globalization;

namespace Portal.Components;

/// <summary>
/// The addresses inside the portal that one place gives another (pages, the report, its e-mail, alerts): built here
/// only, so that a page's address changes in one place. Relative to the portal's base; extra query parameters (a
/// window, say) go in <c>query</c>, already encoded.
/// </summary>
public static class PortalLinks
{
    public const string Overview = "/";

    public const string Jobs = "/jobs";

    public const string Cache = "/cache";

    public const string Reports = "/reports";

    public const string Alerts = "/alerts";

    public const string Lab = "/lab";

    /// <summary>The Lab page on one page of a service (its score trend, last audits, lab beside field).</summary>
    public static string LabPage(string service, string page) => $"{Lab}?service={Escape(service)}&page={Escape(page)}";

    /// <summary>A Lighthouse run's full report, as Lighthouse's own viewer shows it.</summary>
    public static string LabRun(long id) => $"{LabRuns}/{id.ToString(CultureInfo.InvariantCulture)}";

    public const string LabRuns = "/lab/runs";

    public const string LoadTestsPage = "/lab/load-tests";

    public static string LoadTests(string service, string scenario) => $"{LoadTestsPage}?service={Escape(service)}&scenario={Escape(scenario)}";

    /// <summary>A link made absolute with the portal's public address (e-mails, chat messages), or null without one.</summary>
    public static string? Absolute(string? portalUrl, string link) => portalUrl is { Length: > 0 } root ? root.TrimEnd('/') + link : null;

    public static string Statements(string target, string? search = null) =>
        $"/queries?target={Escape(target)}" + (search is null ? "" : $"&search={Escape(search)}");

    public static string Statement(string target, long queryId, string? query = null) =>
        With($"/queries/{queryId.ToString(CultureInfo.InvariantCulture)}?target={Escape(target)}", query);

    public static string IndexHealth(string target) => $"/queries/health?target={Escape(target)}";

    /// <summary>A target's activity history: what its sessions waited on, and the lock waits with their blockers.</summary>
    public static string Waits(string target) => $"/queries/waits?target={Escape(target)}";

    public static string Objective(string id) => $"/scorecards/objectives/{Escape(id)}";

    public static string VitalsApp(string app) => $"/vitals?app={Escape(app)}";

    public static string VitalsPage(string app, string path, string? metric = null, string? query = null) =>
        With($"/vitals/page?app={Escape(app)}&path={Escape(path)}" + (metric is null ? "" : $"&metric={Escape(metric)}"), query);

    public static string Alert(string fingerprint) => $"/alerts/{Escape(fingerprint)}";

    public const string Notifications = "/alerts/notifications";

    public static string Notification(long id) => $"{Notifications}/{id.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The Jobs page on one job's runs.</summary>
    public static string JobRuns(string job) => $"{Jobs}?view=history&job={Escape(job)}";

    public static string Report(long id) => $"/reports/{id.ToString(CultureInfo.InvariantCulture)}";

    public static string ReportPrint(long id) => $"{Report(id)}/print";

    /// <summary>An archived report's key metrics and objectives as CSV (its Appendix A).</summary>
    public static string ReportCsv(long id) => $"/api/v1/reports/{id.ToString(CultureInfo.InvariantCulture)}/key-metrics.csv";

    public static string Unsubscribe(string token) => $"/reports/unsubscribe?token={Escape(token)}";

    private static string With(string address, string? query) => query is { Length: > 0 } ? $"{address}&{query}" : address;

    private static string Escape(string value) => Uri.EscapeDataString(value);
}
