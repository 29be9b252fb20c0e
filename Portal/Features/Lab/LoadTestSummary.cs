using System.Globalization;
using System.Text.Json;

namespace Portal.Features.Lab;

/// <summary>The load-test tools whose summaries the portal reads.</summary>
public static class LoadTestTools
{
    public const string K6 = "k6";
    public const string Autocannon = "autocannon";
}

/// <summary>
/// A load-test run as the portal keeps it: how many concurrent users (k6's peak virtual users, autocannon's
/// connections), how many requests and how many failed, the throughput, the latency percentiles the tool reported
/// (ms, by name: <c>p50</c>, <c>p90</c>, <c>p95</c>, <c>p97.5</c>, <c>p99</c>) and the thresholds it judged
/// (name → passed; k6 only).
/// </summary>
public sealed record LoadTestRun(
    string Tool, DateTimeOffset StartedAt, double DurationSeconds, int Users, long Requests, long Errors, double Throughput,
    IReadOnlyDictionary<string, double> Percentiles, IReadOnlyDictionary<string, bool> Thresholds)
{
    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;

    public double? P50 => Percentiles.TryGetValue("p50", out var value) ? value : null;

    public double? P95 => Percentiles.TryGetValue("p95", out var value) ? value : null;

    public double? P99 => Percentiles.TryGetValue("p99", out var value) ? value : null;

    /// <summary>Whether every threshold passed; null when the tool judged none.</summary>
    public bool? ThresholdsPassed => Thresholds.Count == 0 ? null : Thresholds.Values.All(passed => passed);

    /// <summary>
    /// The percentile that stands for p95 in a verdict: p95 where the tool reported it, else the lowest it reported
    /// above (autocannon reports p90, p97.5 and p99: p97.5 is never faster than p95, so a verdict on it is not too kind).
    /// </summary>
    public (string Name, double Ms)? P95OrAbove =>
        Percentiles.Where(pair => Rank(pair.Key) >= 95).OrderBy(pair => Rank(pair.Key)).Select(pair => ((string, double)?)(pair.Key, pair.Value)).FirstOrDefault();

    public static double Rank(string percentile) => double.Parse(percentile[1..], CultureInfo.InvariantCulture);
}

/// <summary>
/// Reads a load test's summary, telling the formats apart by their shape: k6's <c>--summary-export</c> file (metrics
/// with their figures at the top; a threshold's <c>true</c> means it was crossed, k6's documented oddity) or the data
/// <c>handleSummary()</c> receives (figures under <c>values</c>, thresholds as <c>{ "ok": … }</c>), and autocannon's
/// <c>--json</c> output. A problem names the field at fault.
/// </summary>
public static class LoadTestSummary
{
    public static (LoadTestRun? Run, string? Problem) Parse(JsonElement root, DateTimeOffset receivedAt)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, "the body is a JSON object: k6's --summary-export file or autocannon's --json output");
        }
        if (root.TryGetProperty("metrics", out var metrics))
        {
            return ParseK6(root, metrics, receivedAt);
        }
        if (root.TryGetProperty("latency", out _) && root.TryGetProperty("requests", out _))
        {
            return ParseAutocannon(root, receivedAt);
        }
        return (null, "neither a k6 summary (no `metrics`) nor autocannon's --json output (no `latency` and `requests`)");
    }

    private static (LoadTestRun?, string?) ParseK6(JsonElement root, JsonElement metrics, DateTimeOffset receivedAt)
    {
        if (metrics.ValueKind != JsonValueKind.Object)
        {
            return (null, "`metrics` is an object of k6's metrics");
        }
        // handleSummary()'s data nests each metric's figures under `values`; --summary-export has them at the top.
        JsonElement? Figures(string metric) =>
            metrics.TryGetProperty(metric, out var found) && found.ValueKind == JsonValueKind.Object
                ? found.TryGetProperty("values", out var values) && values.ValueKind == JsonValueKind.Object ? values : found
                : null;

        if (Figures("http_reqs") is not { } reqs || Number(reqs, "count") is not { } count || count < 0)
        {
            return (null, "`metrics.http_reqs.count` is missing: a k6 summary of an HTTP test has it");
        }
        if (Figures("http_req_duration") is not { } duration)
        {
            return (null, "`metrics.http_req_duration` is missing: a k6 summary of an HTTP test has it");
        }
        var percentiles = new Dictionary<string, double>();
        foreach (var figure in duration.EnumerateObject())
        {
            if (figure.Value.ValueKind != JsonValueKind.Number)
            {
                continue;
            }
            var name = figure.Name == "med" ? "p50" : figure.Name.StartsWith("p(", StringComparison.Ordinal) && figure.Name.EndsWith(')') ? "p" + figure.Name[2..^1] : null;
            if (name is not null && double.TryParse(name[1..], NumberStyles.Float, CultureInfo.InvariantCulture, out var rank) && rank is > 0 and <= 100)
            {
                percentiles[name] = figure.Value.GetDouble();
            }
        }
        if (percentiles.Count == 0)
        {
            return (null, "`metrics.http_req_duration` has no percentile (med, p(90), p(95)…): set summaryTrendStats to include them");
        }
        // http_req_failed is a rate: its "passes" are the requests that failed.
        long failed = 0;
        if (Figures("http_req_failed") is { } failedRate)
        {
            if (Number(failedRate, "passes") is { } passes)
            {
                failed = (long)passes;
            }
            else if ((Number(failedRate, "rate") ?? Number(failedRate, "value")) is { } rate)
            {
                failed = (long)Math.Round(rate * count);
            }
        }
        var users = Figures("vus_max") is { } vusMax ? Number(vusMax, "max") ?? Number(vusMax, "value") : null;
        users ??= Figures("vus") is { } vus ? Number(vus, "max") ?? Number(vus, "value") : null;
        if (users is not { } peak || peak < 1)
        {
            return (null, "`metrics.vus_max` (or `metrics.vus`) is missing: the peak number of virtual users is the run's concurrency");
        }
        var durationMs = root.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.Object ? Number(state, "testRunDurationMs") : null;
        if (durationMs is not { } ms || ms <= 0)
        {
            return (null, "`state.testRunDurationMs` is missing: the run's duration");
        }
        var throughput = Number(reqs, "rate") ?? count / (ms / 1000);
        return (new LoadTestRun(LoadTestTools.K6, receivedAt - TimeSpan.FromMilliseconds(ms), ms / 1000, (int)peak, (long)count, failed, throughput,
            percentiles, K6Thresholds(metrics)), null);
    }

    // Every metric's thresholds, named "metric: expression". --summary-export writes true for a crossed (failed) one;
    // handleSummary() writes { "ok": true } for a passed one.
    private static Dictionary<string, bool> K6Thresholds(JsonElement metrics)
    {
        var thresholds = new Dictionary<string, bool>();
        foreach (var metric in metrics.EnumerateObject())
        {
            if (metric.Value.ValueKind != JsonValueKind.Object || !metric.Value.TryGetProperty("thresholds", out var list) || list.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            foreach (var threshold in list.EnumerateObject())
            {
                bool? passed = threshold.Value.ValueKind switch
                {
                    JsonValueKind.True => false,
                    JsonValueKind.False => true,
                    JsonValueKind.Object when threshold.Value.TryGetProperty("ok", out var ok) && ok.ValueKind is JsonValueKind.True or JsonValueKind.False => ok.GetBoolean(),
                    _ => null,
                };
                if (passed is { } value)
                {
                    thresholds[$"{metric.Name}: {threshold.Name}"] = value;
                }
            }
        }
        return thresholds;
    }

    private static readonly (string Field, string Name)[] AutocannonPercentiles = [("p50", "p50"), ("p90", "p90"), ("p97_5", "p97.5"), ("p99", "p99")];

    private static (LoadTestRun?, string?) ParseAutocannon(JsonElement root, DateTimeOffset receivedAt)
    {
        var latency = root.GetProperty("latency");
        var requests = root.GetProperty("requests");
        if (latency.ValueKind != JsonValueKind.Object || requests.ValueKind != JsonValueKind.Object)
        {
            return (null, "`latency` and `requests` are objects in autocannon's --json output");
        }
        if (Number(requests, "total") is not { } total || total < 0)
        {
            return (null, "`requests.total` is missing: the number of responses");
        }
        if (Number(root, "connections") is not { } connections || connections < 1)
        {
            return (null, "`connections` is missing: the concurrent connections autocannon kept open");
        }
        if (Number(root, "duration") is not { } seconds || seconds <= 0)
        {
            return (null, "`duration` is missing: the run's length in seconds");
        }
        var percentiles = new Dictionary<string, double>();
        foreach (var (field, name) in AutocannonPercentiles)
        {
            if (Number(latency, field) is { } value)
            {
                percentiles[name] = value;
            }
        }
        if (!percentiles.ContainsKey("p50"))
        {
            return (null, "`latency.p50` is missing: autocannon's latency percentiles (p50, p90, p97_5, p99)");
        }
        // Failures: responses that were not 2xx, and requests that got none (connection errors, timeouts among them).
        var errors = (long)((Number(root, "non2xx") ?? 0) + (Number(root, "errors") ?? 0));
        DateTimeOffset startedAt = root.TryGetProperty("start", out var start) && start.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(start.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed : receivedAt - TimeSpan.FromSeconds(seconds);
        return (new LoadTestRun(LoadTestTools.Autocannon, startedAt, seconds, (int)connections, (long)total + (long)(Number(root, "errors") ?? 0), errors,
            total / seconds, percentiles, new Dictionary<string, bool>()), null);
    }

    private static double? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
