using System.Text.RegularExpressions;
using Portal.Tests.Infrastructure;

namespace Portal.UnitTests.Architecture;

/// <summary>
/// Every table has one owning feature: only its folder's SQL names it; the other features call the owner's read API
/// (a schema change in Vitals then breaks Vitals' own code, not the report's SQL, silently).
/// </summary>
public sealed partial class TableOwnershipTests
{
    private static readonly Dictionary<string, string> Owners = new()
    {
        ["worker_heartbeats"] = "Jobs", ["job_definitions"] = "Jobs", ["job_runs"] = "Jobs",
        ["users"] = "Auth", ["api_tokens"] = "Auth", ["auth_sessions"] = "Auth", ["data_protection_keys"] = "Auth",
        ["audit_log"] = "Audit",
        ["cache_entries"] = "Cache", ["redis_samples"] = "Cache",
        ["query_snapshots"] = "Queries", ["query_statements"] = "Queries", ["query_totals"] = "Queries",
        ["query_activity"] = "Queries", ["query_plans"] = "Queries", ["query_activity_hourly"] = "Queries", ["query_lock_waits"] = "Queries",
        ["vitals_apps"] = "Vitals", ["vitals_daily"] = "Vitals", ["vitals_events"] = "Vitals", ["vitals_events_default"] = "Vitals",
        ["sli_samples"] = "Scorecards", ["sli_daily"] = "Scorecards", ["sli_evaluations"] = "Scorecards",
        ["alert_groups"] = "Alerts", ["alert_instances"] = "Alerts", ["alert_notifications"] = "Alerts", ["alert_silences"] = "Alerts",
        ["alert_transitions"] = "Alerts",
        ["lab_lighthouse_runs"] = "Lab", ["lab_load_tests"] = "Lab",
        ["reports"] = "Reports", ["report_deliveries"] = "Reports", ["report_subscriptions"] = "Reports",
    };

    private static readonly List<string> Projects = ["Portal", "Portal.Jobs"];

    [Fact]
    public void Migrations_EveryTableCreated_HasAnOwningFeature()
    {
        var created = Directory.GetFiles(Repository.File("Portal/Data/Migrations"), "*.sql")
            .SelectMany(file => CreateTable().Matches(File.ReadAllText(file)).Select(match => match.Groups["table"].Value.ToLowerInvariant()))
            .Distinct()
            .ToList();

        Assert.NotEmpty(created);
        Assert.Empty(created.Except(Owners.Keys)); // a new table names its owner here
    }

    [Fact]
    public void Sources_SqlNamingATable_OnlyInItsOwningFeature()
    {
        var sources = Projects
            .SelectMany(project => Directory.GetFiles(Repository.File(project), "*.*", SearchOption.AllDirectories))
            .Where(file => file.EndsWith(".cs", StringComparison.Ordinal) || file.EndsWith(".razor", StringComparison.Ordinal))
            .Where(file => !IsUnder(file, "bin") && !IsUnder(file, "obj") && !IsUnder(file, "Data"))
            .ToList();
        Assert.Contains(sources, file => file.EndsWith("BaselineReportBuilder.cs", StringComparison.Ordinal));

        var trespasses = (
            from file in sources
            let feature = FeatureOf(file)
            from Match match in TableReference().Matches(File.ReadAllText(file))
            let table = match.Groups["table"].Value
            where Owners.TryGetValue(table, out var owner) && owner != feature
            select $"{Path.GetRelativePath(Repository.File(""), file)} names {table} (owned by {Owners[table]})").Distinct().ToList();

        Assert.Empty(trespasses);
    }

    [Fact]
    public void TableReference_ReportStyleSql_IsFound()
    {
        // The scan's own check: the kind of statement the report used to hold is caught.
        const string sql = "SELECT count(*) FROM query_snapshots s JOIN job_runs r ON true WHERE EXISTS (SELECT 1 FROM vitals_events)";

        Assert.Equal(["query_snapshots", "job_runs", "vitals_events"], TableReference().Matches(sql).Select(match => match.Groups["table"].Value));
    }

    private static bool IsUnder(string file, string folder) =>
        file.Contains($"{Path.DirectorySeparatorChar}{folder}{Path.DirectorySeparatorChar}", StringComparison.Ordinal);

    // Portal/Features/Vitals/VitalsStore.cs → Vitals; anything outside a feature folder owns no table.
    private static string FeatureOf(string file)
    {
        var parts = file.Split(Path.DirectorySeparatorChar);
        var at = Array.LastIndexOf(parts, "Features");
        return at >= 0 && at + 1 < parts.Length - 1 ? parts[at + 1] : "(none)";
    }

    [GeneratedRegex(@"\b(?:FROM|JOIN|INTO|UPDATE|TABLE|EXISTS)\s+(?:ONLY\s+)?(?:public\.)?(?<table>[a-z_]+)\b")]
    private static partial Regex TableReference();

    [GeneratedRegex(@"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:public\.)?(?<table>[a-z_]+)", RegexOptions.IgnoreCase)]
    private static partial Regex CreateTable();
}
