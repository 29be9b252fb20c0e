using System.Globalization;

namespace Portal.Features.Prometheus;

/// <summary>One resource of the hosts node_exporter reports, and how it is read from Prometheus.</summary>
/// <param name="Unit"><c>ratio</c> for a share of capacity, <c>B/s</c> for a rate.</param>
public sealed record NodeResource(string Name, string Unit, string Query, string Meaning);

/// <summary>A resource of one instance over a window: the 95th percentile and the peak of its 5-minute readings.</summary>
public sealed record NodeFigure(double P95, double Peak, int Readings);

/// <summary>An instance node_exporter runs on, and its resources' figures (a resource it does not report is absent).</summary>
public sealed record NodeInstance(string Instance, IReadOnlyDictionary<string, NodeFigure> Resources);

/// <summary>
/// System resource utilisation of every host whose node_exporter the Prometheus scrapes (any job): CPU busy, memory
/// in use, the fullest filesystem's space used, network traffic — each read every <see cref="Step"/> over a window, with
/// its 95th percentile (linear between the nearest readings) and its peak per instance. The report's Infrastructure
/// section and the Overview read it; the rule lives here.
/// </summary>
public sealed class NodeUtilisation(PrometheusClient prometheus)
{
    public static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    /// <summary>The filesystems that hold data (not memory-backed or read-only images).</summary>
    private const string Filesystems = "fstype!~\"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|proc|sysfs|autofs|fuse.*\"";

    public static readonly IReadOnlyList<NodeResource> Resources =
    [
        new("CPU", "ratio", "1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))",
            "the share of CPU time not idle, over every core"),
        new("Memory", "ratio", "1 - sum by (instance) (node_memory_MemAvailable_bytes) / sum by (instance) (node_memory_MemTotal_bytes)",
            "the share of memory not available to new work (MemAvailable)"),
        new("Disk", "ratio", $"max by (instance) (1 - node_filesystem_avail_bytes{{{Filesystems}}} / node_filesystem_size_bytes{{{Filesystems}}})",
            "the space used on the fullest filesystem"),
        new("Network", "B/s", "sum by (instance) (rate(node_network_receive_bytes_total{device!=\"lo\"}[5m]) + rate(node_network_transmit_bytes_total{device!=\"lo\"}[5m]))",
            "bytes received and sent per second, every interface but loopback"),
    ];

    /// <summary>Every instance with node_exporter series in the window, by name; none when Prometheus scrapes no node_exporter.</summary>
    public async Task<IReadOnlyList<NodeInstance>> ReadAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var readings = new Dictionary<string, Dictionary<string, NodeFigure>>();
        var start = from + Step; // a 5-minute rate needs the 5 minutes before it inside the window
        if (start > to)
        {
            start = to;
        }
        foreach (var resource in Resources)
        {
            var answer = await prometheus.QueryRangeAsync(resource.Query, start, to, Step, cancellationToken: cancellationToken);
            foreach (var series in answer.Result.Series)
            {
                var values = series.Samples.Select(sample => sample.Value).Where(double.IsFinite).ToList();
                if (values.Count == 0)
                {
                    continue;
                }
                var instance = series.Labels.GetValueOrDefault("instance") ?? "";
                if (!readings.TryGetValue(instance, out var figures))
                {
                    readings[instance] = figures = [];
                }
                figures[resource.Name] = new NodeFigure(Percentile(values, 0.95), values.Max(), values.Count);
            }
        }
        return readings.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => new NodeInstance(pair.Key, pair.Value)).ToList();
    }

    /// <summary>The <paramref name="q"/> quantile of the values, linear between the nearest two (PostgreSQL's percentile_cont).</summary>
    public static double Percentile(IReadOnlyCollection<double> values, double q)
    {
        var sorted = values.Order().ToList();
        var position = q * (sorted.Count - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    /// <summary>A figure in its unit: "73.4 %", "1.2 MB/s".</summary>
    public static string Format(double value, string unit) => unit == "ratio"
        ? string.Create(CultureInfo.InvariantCulture, $"{value * 100:0.#} %")
        : value switch
        {
            >= 1e9 => string.Create(CultureInfo.InvariantCulture, $"{value / 1e9:0.##} GB/s"),
            >= 1e6 => string.Create(CultureInfo.InvariantCulture, $"{value / 1e6:0.##} MB/s"),
            >= 1e3 => string.Create(CultureInfo.InvariantCulture, $"{value / 1e3:0.##} kB/s"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{value:0.##} B/s"),
        };
}
