namespace Portal.Tests.Infrastructure;

/// <summary>Configuration for a portal and worker under test: the real services, fast probes and heartbeats.</summary>
public static class PortalSettings
{
    public static Dictionary<string, string?> For(TestDatabase database, string? redis = null) => For(database.ConnectionString, KeyPrefix(database), redis);

    /// <summary>The same for a database of another cluster (<see cref="SecondCluster"/>), with a Redis key prefix of its own.</summary>
    public static Dictionary<string, string?> For(string connectionString, string keyPrefix, string? redis = null) => new()
    {
        ["ConnectionStrings:Portal"] = connectionString,
        ["ConnectionStrings:Redis"] = redis ?? TestServices.Redis,
        // Each portal under test is its own installation on the shared Redis (tests run side by side).
        ["Cache:KeyPrefix"] = keyPrefix,
        ["Prometheus:Url"] = TestServices.PrometheusUrl,
        ["Prometheus:TimeoutSeconds"] = "2",
        ["Health:ProbeIntervalSeconds"] = "1",
        ["Health:ProbeTimeoutSeconds"] = "2",
        ["Jobs:Schedules:heartbeat"] = "* * * * * *",
        ["Worker:StaleAfterSeconds"] = "4",
        ["Worker:SchedulePollingSeconds"] = "1", // the every-second heartbeat above fires every second
        ["Worker:Urls"] = "http://127.0.0.1:0",
        // Every test signs its users in from 127.0.0.1: the per-address throttle is tested on its own.
        ["Auth:MaxAttemptsPerAddress"] = "10000",
        // The test cluster's statistics are minutes old: unused-index advice without waiting (its wait is tested on its own).
        ["Queries:UnusedIndexMinStatisticsDays"] = "0",
        // Objectives judged from their first samples: tests write hours of samples for month-long windows (the warm-up
        // is tested on its own, WarmUpTests).
        ["Scorecards:WarmUpShare"] = "0",
        // The default catalogue, as built beside the tests (a test host's content root is the project's source folder).
        ["Scorecards:CatalogueFile"] = Path.Combine(AppContext.BaseDirectory, "slas.yaml"),
    };

    /// <summary>The Redis key prefix of the portals on <paramref name="database"/>.</summary>
    public static string KeyPrefix(TestDatabase database) => $"{database.Name}:";

    /// <summary>Alert rules of the test's own, in a file of their own (Alerts:RulesFile); returns the file's path.</summary>
    public static string WithAlertRules(this Dictionary<string, string?> settings, string yaml)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("portal-alerts-").FullName, "alerts.yaml");
        File.WriteAllText(file, yaml);
        settings["Alerts:RulesFile"] = file;
        return file;
    }

    /// <summary>
    /// The lab's real tools (tools/browser) and a catalogue of the test's own, whose `lab:` the test writes once it knows
    /// its addresses (then reloads the catalogue); returns the catalogue's path.
    /// </summary>
    public static string WithLab(this Dictionary<string, string?> settings)
    {
        var catalogue = Path.Combine(Directory.CreateTempSubdirectory("portal-lab-").FullName, "slas.yaml");
        File.WriteAllText(catalogue, "services:\n  - name: none\n    team: none\n    lab:\n      pages: [/]\n");
        settings["Scorecards:CatalogueFile"] = catalogue;
        settings["Lab:ToolsPath"] = Repository.File("tools/browser");
        return catalogue;
    }

    /// <summary>The real services at the production pace: the default probe interval, heartbeat and polling.</summary>
    public static Dictionary<string, string?> AtProductionPace(TestDatabase database)
    {
        var settings = For(database);
        foreach (var fast in new[] { "Health:ProbeIntervalSeconds", "Health:ProbeTimeoutSeconds", "Jobs:Schedules:heartbeat", "Worker:StaleAfterSeconds", "Worker:SchedulePollingSeconds" })
        {
            settings.Remove(fast);
        }
        return settings;
    }
}
