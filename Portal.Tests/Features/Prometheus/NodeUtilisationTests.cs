using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Prometheus;
using Portal.Features.Reports;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Prometheus;

/// <summary>
/// Two hosts' node_exporter series over the last six hours of a report week, backfilled into a Prometheus of their
/// own, worked by hand: memory stepping up hour by hour on db (its p95 computed independently, by PostgreSQL's
/// percentile_cont over the expected readings), the fullest real filesystem (a tmpfs at 100 % does not count), CPU and
/// network from counters. Then the portal's own node_exporter, as the test session's Prometheus scrapes it.
/// </summary>
public sealed class NodeUtilisationTests(NodeUtilisationTests.Seeded fixture) : IClassFixture<NodeUtilisationTests.Seeded>
{
    private static readonly ReportPeriod Week = ReportPeriod.Last(ReportSchedules.Weekly, DateTimeOffset.UtcNow, "UTC");
    private static readonly DateTimeOffset DataStart = Week.End.AddHours(-6);
    private static readonly DateTimeOffset DataEnd = Week.End.AddMinutes(-5);

    /// <summary>db's memory in use in the data's hour h (0–5): 40 % to 90 %.</summary>
    private static double DbMemory(DateTimeOffset at) => 0.4 + 0.1 * Math.Min(5, (int)((at - DataStart).TotalHours));

    public sealed class Seeded : PortalOnBackfilledPrometheus
    {
        protected override string OpenMetrics() => NodeSeries();
    }

    private static string NodeSeries()
    {
        var gauges = new StringBuilder();
        var counters = new StringBuilder();
        gauges.AppendLine("# TYPE node_memory_MemAvailable_bytes gauge").AppendLine("# TYPE node_memory_MemTotal_bytes gauge")
            .AppendLine("# TYPE node_filesystem_avail_bytes gauge").AppendLine("# TYPE node_filesystem_size_bytes gauge");
        counters.AppendLine("# TYPE node_cpu_seconds counter").AppendLine("# TYPE node_network_receive_bytes counter").AppendLine("# TYPE node_network_transmit_bytes counter");
        var lines = new SortedDictionary<string, StringBuilder>(StringComparer.Ordinal);
        void Add(string series, double value, long at)
        {
            if (!lines.TryGetValue(series, out var builder))
            {
                lines[series] = builder = new StringBuilder();
            }
            builder.AppendLine(CultureInfo.InvariantCulture, $"{series} {value} {at}");
        }
        for (var at = DataStart; at <= DataEnd; at = at.AddMinutes(1))
        {
            var t = at.ToUnixTimeSeconds();
            var seconds = (at - DataStart).TotalSeconds;
            foreach (var (instance, memory) in new[] { ("db:9100", DbMemory(at)), ("web:9100", 0.2) })
            {
                Add($"node_memory_MemTotal_bytes{{instance=\"{instance}\"}}", 1000, t);
                Add($"node_memory_MemAvailable_bytes{{instance=\"{instance}\"}}", Math.Round(1000 * (1 - memory), 6), t);
                Add($"node_filesystem_size_bytes{{instance=\"{instance}\",mountpoint=\"/\",fstype=\"ext4\"}}", 100, t);
                Add($"node_filesystem_avail_bytes{{instance=\"{instance}\",mountpoint=\"/\",fstype=\"ext4\"}}", 50, t);
                Add($"node_filesystem_size_bytes{{instance=\"{instance}\",mountpoint=\"/run\",fstype=\"tmpfs\"}}", 10, t);
                Add($"node_filesystem_avail_bytes{{instance=\"{instance}\",mountpoint=\"/run\",fstype=\"tmpfs\"}}", 0, t);
                // Two cores idle 75 % and 25 % of the time (db), or both 90 % (web).
                var (idle0, idle1) = instance == "db:9100" ? (0.75, 0.25) : (0.9, 0.9);
                Add($"node_cpu_seconds_total{{instance=\"{instance}\",cpu=\"0\",mode=\"idle\"}}", idle0 * seconds, t);
                Add($"node_cpu_seconds_total{{instance=\"{instance}\",cpu=\"1\",mode=\"idle\"}}", idle1 * seconds, t);
                Add($"node_cpu_seconds_total{{instance=\"{instance}\",cpu=\"0\",mode=\"user\"}}", (1 - idle0) * seconds, t);
                Add($"node_network_receive_bytes_total{{instance=\"{instance}\",device=\"eth0\"}}", 1000 * seconds, t);
                Add($"node_network_transmit_bytes_total{{instance=\"{instance}\",device=\"eth0\"}}", 500 * seconds, t);
                Add($"node_network_receive_bytes_total{{instance=\"{instance}\",device=\"lo\"}}", 1e6 * seconds, t);
            }
            // db's data disk is 90 % full; web has none.
            Add("node_filesystem_size_bytes{instance=\"db:9100\",mountpoint=\"/data\",fstype=\"ext4\"}", 200, t);
            Add("node_filesystem_avail_bytes{instance=\"db:9100\",mountpoint=\"/data\",fstype=\"ext4\"}", 20, t);
        }
        foreach (var (series, builder) in lines)
        {
            (series.StartsWith("node_cpu", StringComparison.Ordinal) || series.StartsWith("node_network", StringComparison.Ordinal) ? counters : gauges).Append(builder);
        }
        // OpenMetrics wants each metric family's samples together, families declared before their samples.
        return Regroup(gauges.ToString() + counters) + "# EOF\n";
    }

    // Every "# TYPE" line first is not allowed: each family's TYPE goes right before its own samples.
    private static string Regroup(string text)
    {
        var types = text.Split('\n').Where(line => line.StartsWith("# TYPE ", StringComparison.Ordinal)).ToDictionary(line => line.Split(' ')[2], line => line);
        var samples = text.Split('\n').Where(line => line.Length > 0 && !line.StartsWith('#'))
            .GroupBy(line => Family(line[..line.IndexOfAny(['{', ' '])]));
        var output = new StringBuilder();
        foreach (var family in samples)
        {
            output.AppendLine(types[family.Key]);
            foreach (var line in family)
            {
                output.AppendLine(line);
            }
        }
        return output.ToString();
    }

    private static string Family(string name) => name.EndsWith("_total", StringComparison.Ordinal) ? name[..^"_total".Length] : name;

    /// <summary>
    /// The readings a 5-minute step sees of a gauge written every minute: its value at each step of the data, and at the
    /// step after the data's last sample the last value still (Prometheus 2's lookback of 5 minutes includes its start).
    /// </summary>
    private static List<double> Readings(Func<DateTimeOffset, double> value)
    {
        var readings = new List<double>();
        for (var at = Week.Start + NodeUtilisation.Step; at <= Week.End; at += NodeUtilisation.Step)
        {
            if (at >= DataStart && at <= DataEnd + NodeUtilisation.Step)
            {
                readings.Add(value(at < DataEnd ? at : DataEnd));
            }
        }
        return readings;
    }

    [Fact]
    public async Task Hosts_P95AndPeak_AsWorkedByHand()
    {
        var hosts = await fixture.App.Services.GetRequiredService<NodeUtilisation>().ReadAsync(Week.Start, Week.End);

        Assert.Equal(["db:9100", "web:9100"], hosts.Select(host => host.Instance));
        var (db, web) = (hosts[0].Resources, hosts[1].Resources);
        var memory = Readings(DbMemory);
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        var p95 = await connection.ExecuteScalarAsync<double>("SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY v) FROM unnest(@memory) v", new { memory = memory.ToArray() });
        Assert.Equal(memory.Count, db["Memory"].Readings);
        Assert.Equal(p95, db["Memory"].P95, 9);
        Assert.Equal(0.9, db["Memory"].Peak, 9);
        Assert.Equal((0.2, 0.2), (web["Memory"].P95, web["Memory"].Peak), new ToleranceComparer(1e-9));
        Assert.Equal((0.9, 0.9), (db["Disk"].P95, db["Disk"].Peak), new ToleranceComparer(1e-9)); // /data, not the tmpfs
        Assert.Equal(0.5, web["Disk"].Peak, 9);
        Assert.Equal(0.5, db["CPU"].P95, 6);
        Assert.Equal(0.1, web["CPU"].Peak, 6);
        Assert.Equal(1500, db["Network"].P95, 3); // loopback left out
    }

    [Fact]
    public async Task Report_HostsRowsAndBusyResourcesAsFindings()
    {
        var report = await fixture.App.Services.GetRequiredService<BaselineReportBuilder>().BuildAsync(ReportScope.Everything, Week);

        var hosts = report.Details.Single(section => section.Area == "Infrastructure" && section.Title.StartsWith("Hosts", StringComparison.Ordinal));
        Assert.Equal(["Instance", "CPU", "Memory", "Disk", "Network"], hosts.Columns);
        Assert.Equal(["db:9100", "web:9100"], hosts.Rows.Select(row => row.Name));
        Assert.Equal(["50 % / 50 %", $"{NodeUtilisation.Format(Percentile(Readings(DbMemory)), "ratio")} / 90 %", "90 % / 90 %", "1.5 kB/s / 1.5 kB/s"], hosts.Rows[0].Cells);
        Assert.Equal(["Disk of db:9100 at 90 % (peak)", "Memory of db:9100 at 90 % (p95)"],
            report.Findings.Where(finding => finding.Kind == "infrastructure").Select(finding => finding.Title).Order(StringComparer.Ordinal));
    }

    private static double Percentile(List<double> values) => NodeUtilisation.Percentile(values, 0.95);

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<(double, double)>
    {
        public bool Equals((double, double) x, (double, double) y) => Math.Abs(x.Item1 - y.Item1) <= tolerance && Math.Abs(x.Item2 - y.Item2) <= tolerance;

        public int GetHashCode((double, double) obj) => 0;
    }
}

/// <summary>The test session's Prometheus scrapes the node_exporter that `./portal test` (and `up`) runs: the Overview shows this host.</summary>
public sealed class RealNodeExporterTests : PortalOnFreshDatabase
{
    [Fact]
    public async Task BundledNodeExporter_ScrapedByPrometheus_OnTheOverview()
    {
        using var prometheus = new HttpClient { BaseAddress = new Uri(TestServices.PrometheusUrl) };
        var up = await prometheus.GetFromJsonAsync<JsonElement>("/api/v1/query?query=" + Uri.EscapeDataString("up{job=\"node\"}"));
        var target = Assert.Single(up.GetProperty("data").GetProperty("result").EnumerateArray());
        var instance = target.GetProperty("metric").GetProperty("instance").GetString()!;
        Assert.Equal("1", target.GetProperty("value")[1].GetString());

        // Memory in use as the exporter itself says it now, against the portal's reading of the last hour.
        using var exporter = new HttpClient { BaseAddress = new Uri($"http://{instance}") };
        var metrics = await exporter.GetStringAsync("/metrics");
        double Gauge(string name) => double.Parse(metrics.Split('\n').Single(line => line.StartsWith(name + " ", StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture);
        var inUse = 1 - Gauge("node_memory_MemAvailable_bytes") / Gauge("node_memory_MemTotal_bytes");
        var now = DateTimeOffset.UtcNow;
        var host = Assert.Single(await App.Services.GetRequiredService<NodeUtilisation>().ReadAsync(now.AddHours(-1), now), each => each.Instance == instance);
        Assert.InRange(host.Resources["Memory"].Peak, inUse - 0.15, inUse + 0.15);
        Assert.InRange(host.Resources["Disk"].Peak, 0, 1);

        using var client = await App.SignedInClientAsync(PortalRoles.Viewer);
        var overview = await client.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.Contains("data-testid=\"infrastructure\"", overview, StringComparison.Ordinal);
        Assert.Contains($"<code>{instance}</code>", overview, StringComparison.Ordinal);
    }
}
