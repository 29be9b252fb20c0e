using MudBlazor;

namespace Portal.Components.Layout;

/// <summary>One entry of the navigation drawer.</summary>
public sealed record NavigationArea(string Title, string Href, string Icon, string Summary)
{
    /// <summary>The role the page requires (from its own attribute); links are shown only to users who have it.</summary>
    public string? Role => PageAccess.RequiredRole(Href);
}

public static class Navigation
{
    /// <summary>Whether a drawer link leads to the area of <paramref name="path"/>: "/" only itself, the others their whole path.</summary>
    public static bool IsCurrent(string href, string path) =>
        href == "/" ? path == "/" : path == href || path.StartsWith(href + "/", StringComparison.Ordinal);

    /// <summary>The drawer link of the area <paramref name="path"/> belongs to, if any.</summary>
    public static string? CurrentArea(string path) =>
        Areas.Concat(Administration).FirstOrDefault(area => IsCurrent(area.Href, path))?.Href;

    public static IReadOnlyList<NavigationArea> Areas { get; } =
    [
        new("Overview", "/", Icons.Material.Outlined.Dashboard,
            "Live status of the portal's dependencies."),
        new("Scorecards", "/scorecards", Icons.Material.Outlined.Verified,
            "SLA scorecards per service: objectives, error budgets and burn rates from Prometheus, query statistics, Web Vitals and cache statistics."),
        new("Queries", "/queries", Icons.Material.Outlined.Storage,
            "Slow-query drill-down on pg_stat_statements snapshots, EXPLAIN, index and table health, live activity."),
        new("Web Vitals", "/vitals", Icons.Material.Outlined.Speed,
            "LCP, INP, CLS, FCP and TTFB from real browsers, per app, page and device."),
        new("Lab", "/lab", Icons.Material.Outlined.Science,
            "Lighthouse on each service's critical pages (nightly and from CI) beside the field's Web Vitals, and load-test runs."),
        new("Prometheus", "/prometheus", Icons.Material.Outlined.ShowChart,
            "A PromQL explorer with charts, tables and shareable links."),
        new("Cache", "/cache", Icons.Material.Outlined.Memory,
            "Redis statistics and the portal's own cache tiers: hit ratios, memory, evictions."),
        new("Alerts", "/alerts", Icons.Material.Outlined.NotificationsActive,
            "Threshold and burn-rate alert rules posting to Slack, silences and a notification history."),
        new("Reports", "/reports", Icons.Material.Outlined.Summarize,
            "The weekly baseline report e-mailed to product leads, with its archive."),
        new("Jobs", "/jobs", Icons.Material.Outlined.Schedule,
            "Background jobs: catalogue, run history, freshness, pause and run now."),
    ];

    public static IReadOnlyList<NavigationArea> Administration { get; } =
    [
        new("Users", "/admin/users", Icons.Material.Outlined.People,
            "Who may sign in, with which role."),
        new("Query targets", "/admin/targets", Icons.Material.Outlined.Dns,
            "The databases whose pg_stat_statements are snapshotted, and what each lacks."),
        new("Web Vitals apps", "/admin/vitals-apps", Icons.Material.Outlined.Web,
            "The front-end apps that send Web Vitals: keys, allowed origins, sample rates."),
        new("Audit log", "/admin/audit", Icons.Material.Outlined.ManageSearch,
            "Every administrative action: who, when, what, before and after."),
    ];
}
