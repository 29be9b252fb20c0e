using System.Globalization;
using System.Text.RegularExpressions;
using Portal.Features.Vitals;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Portal.Features.Scorecards;

/// <summary>
/// Reads <c>slas.yaml</c> node by node (YamlDotNet's representation model keeps every node's line and column), so that
/// each error names the file, line and column of the value at fault; every error is collected, not just the first.
/// </summary>
public sealed partial class SlaCatalogueReader(string file, IReadOnlySet<string>? knownMetrics = null)
{
    public static readonly IReadOnlyList<string> Windows = ["7d", "28d", "30d", "month"];
    public static readonly IReadOnlyList<string> Priorities = ["P0", "P1", "P2"];

    private readonly List<SlaError> errors = [];

    /// <summary>The catalogue, or every error found in it.</summary>
    public (SlaCatalogue? Catalogue, IReadOnlyList<SlaError> Errors) Read(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            return (null, [new SlaError(At(ex.Start), $"not valid YAML: {ex.InnerException?.Message ?? ex.Message}")]);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            return (null, [new SlaError(new SourceLocation(file, 1, 1), "expected a mapping with a `services` list")]);
        }

        var objectives = new List<SlaObjective>();
        if (Child(root, "services") is not YamlSequenceNode services)
        {
            Error(root, "`services` is missing: a list of services, each with `name`, `team` and `objectives`");
        }
        else
        {
            foreach (var service in services.Children)
            {
                if (service is not YamlMappingNode serviceMap)
                {
                    Error(service, "a service is a mapping with `name`, `team` and `objectives`");
                    continue;
                }
                var name = RequiredText(serviceMap, "name", "service");
                var team = RequiredText(serviceMap, "team", "service");
                if (Child(serviceMap, "objectives") is not YamlSequenceNode list)
                {
                    Error(serviceMap, $"service '{name}': `objectives` is missing (a list)");
                    continue;
                }
                foreach (var node in list.Children)
                {
                    if (ReadObjective(node, name ?? "?", team ?? "?") is { } objective)
                    {
                        if (objectives.FirstOrDefault(other => other.Id == objective.Id) is { } first)
                        {
                            Error(((YamlMappingNode)node).Children.First(pair => Text(pair.Key) == "id").Value,
                                $"duplicate objective id '{objective.Id}' (first at line {first.Location.Line})");
                        }
                        objectives.Add(objective);
                    }
                }
            }
        }
        var sorted = errors.OrderBy(error => error.Location.Line).ThenBy(error => error.Location.Column).ToList();
        return (errors.Any(error => error.Blocking) ? null : new SlaCatalogue(file, objectives, DateTimeOffset.UtcNow), sorted);
    }

    private SlaObjective? ReadObjective(YamlNode node, string service, string team)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, "an objective is a mapping with `id`, `title`, `window` and `sli`");
            return null;
        }
        var before = errors.Count(error => error.Blocking);
        var id = RequiredText(map, "id", "objective");
        if (id is not null && !IdPattern().IsMatch(id))
        {
            Error(Child(map, "id")!, $"id '{id}': lower-case letters, digits and dashes");
        }
        var what = $"objective '{id}'";
        var title = RequiredText(map, "title", what);
        var priority = OneOf(map, "priority", Priorities, "P2", what);
        var window = OneOf(map, "window", Windows, "28d", what);
        var teamHere = Text(Child(map, "team")) ?? team;
        if (Child(map, "sli") is not YamlMappingNode sli)
        {
            Error(map, $"{what}: `sli` is missing (a mapping with `kind` and the kind's fields)");
            return null;
        }
        var spec = ReadSli(sli, what);
        return errors.Count(error => error.Blocking) == before && spec is not null
            ? new SlaObjective(id!, title!, service, teamHere, priority, window, spec, At(map.Start))
            : null;
    }

    private SliSpec? ReadSli(YamlMappingNode sli, string what)
    {
        var kind = RequiredText(sli, "kind", what);
        switch (kind)
        {
            case null:
                return null;
            case SliKinds.Latency:
                var metric = RequiredText(sli, "metric", what);
                if (metric is not null && knownMetrics is not null && !knownMetrics.Contains(metric + "_bucket"))
                {
                    errors.Add(new SlaError(At(Child(sli, "metric")!.Start),
                        $"{what}: Prometheus has no histogram '{metric}' (no '{metric}_bucket' among its metric names); the SLI has no data until it does", Blocking: false));
                }
                var targets = Targets(sli, ["p95", "p99", "max"], what, durations: true);
                var fasterThan = Duration(sli, "faster_than", what);
                var percentile = PercentileBudget(targets);
                if (fasterThan is null && percentile is null)
                {
                    Error(sli, $"{what}: a latency SLI needs p95 or p99, or faster_than with an objective (its error budget)");
                }
                return new SliSpec
                {
                    Kind = kind, Metric = metric, Matchers = Matchers(sli, what), Targets = targets,
                    Threshold = fasterThan ?? percentile?.Threshold,
                    Objective = Share(sli, "objective", what) ?? (fasterThan is null ? percentile?.Objective : null) ?? 0.99,
                };
            case SliKinds.Errors:
                return new SliSpec
                {
                    Kind = kind, Bad = RequiredText(sli, "bad", what), Total = RequiredText(sli, "total", what),
                    Objective = 1 - (Share(sli, "max_error_rate", what, required: true) ?? 0),
                };
            case SliKinds.Availability:
                return new SliSpec { Kind = kind, Up = RequiredText(sli, "up", what), Objective = Share(sli, "objective", what, required: true) ?? 0 };
            case SliKinds.Query:
                var queryId = Text(Child(sli, "query_id"));
                if (Text(Child(sli, "pattern")) is null && Text(Child(sli, "database")) is null && queryId is null)
                {
                    Error(sli, $"{what}: a query SLI matches statements by `pattern`, `database` or `query_id`");
                }
                return new SliSpec
                {
                    Kind = kind, Target = Text(Child(sli, "target")) ?? Queries.QueryOptions.PortalTarget, Pattern = Text(Child(sli, "pattern")),
                    Database = Text(Child(sli, "database")), QueryId = queryId is null ? null : long.Parse(queryId, CultureInfo.InvariantCulture),
                    Threshold = Duration(sli, "mean_below", what, required: true), Objective = Share(sli, "objective", what) ?? 0.99,
                };
            case SliKinds.Vitals:
                var vitalsMetric = RequiredText(sli, "metric", what);
                var definition = VitalsMetric.Find(vitalsMetric);
                if (vitalsMetric is not null && definition is null)
                {
                    Error(Child(sli, "metric")!, $"{what}: unknown Web Vitals metric '{vitalsMetric}'; one of {string.Join(", ", VitalsMetric.All.Select(known => known.Name))}");
                }
                var vitalsTargets = Targets(sli, ["p75", "p95", "p99", "max"], what, durations: definition?.Unit != "");
                var goodShare = Share(sli, "good_share", what);
                var vitalsPercentile = PercentileBudget(vitalsTargets);
                if (vitalsTargets.Count == 0 || (goodShare is null && vitalsPercentile is null))
                {
                    Error(sli, $"{what}: a vitals SLI needs p75, p95 or p99 (max alone gives no error budget; add good_share)");
                }
                // The budget: the share rated good by Web Vitals' thresholds when good_share is set, else the percentile target's.
                return new SliSpec
                {
                    Kind = kind, App = Text(Child(sli, "app")) ?? VitalsApps.PortalApp, Metric = vitalsMetric, Page = Text(Child(sli, "page")),
                    Device = Text(Child(sli, "device")), Targets = vitalsTargets,
                    Threshold = goodShare is not null ? definition?.Good : vitalsPercentile?.Threshold,
                    Objective = goodShare ?? vitalsPercentile?.Objective ?? 0.75,
                };
            case SliKinds.Cache:
                if (Text(Child(sli, "category")) is null && Text(Child(sli, "redis")) is null)
                {
                    Error(sli, $"{what}: a cache SLI names a `category` of the portal's cache or a `redis`");
                }
                return new SliSpec
                {
                    Kind = kind, Category = Text(Child(sli, "category")), Redis = Text(Child(sli, "redis")),
                    Objective = Share(sli, "hit_ratio_above", what, required: true) ?? 0,
                };
            case SliKinds.Job:
                return new SliSpec { Kind = kind, Job = Text(Child(sli, "job")) ?? "*", Objective = Share(sli, "objective", what) ?? 1 };
            default:
                Error(Child(sli, "kind")!, $"{what}: unknown kind '{kind}'; one of {string.Join(", ", SliKinds.All)}");
                return null;
        }
    }

    // "pN below X" holds exactly when at least N % of events are below X: a percentile target's error budget form.
    private static (double Threshold, double Objective)? PercentileBudget(Dictionary<string, double> targets) =>
        new[] { ("p95", 0.95), ("p99", 0.99), ("p75", 0.75) }
            .Where(percentile => targets.ContainsKey(percentile.Item1))
            .Select(percentile => ((double Threshold, double Objective)?)(targets[percentile.Item1], percentile.Item2))
            .FirstOrDefault();

    private Dictionary<string, double> Targets(YamlMappingNode sli, IReadOnlyList<string> names, string what, bool durations)
    {
        var targets = new Dictionary<string, double>();
        foreach (var name in names)
        {
            var value = durations ? Duration(sli, name, what) : Number(sli, name, what, 0, 10);
            if (value is { } found)
            {
                targets[name] = found;
            }
        }
        return targets;
    }

    private Dictionary<string, string> Matchers(YamlMappingNode sli, string what)
    {
        var node = Child(sli, "matchers");
        if (node is null)
        {
            return [];
        }
        if (node is not YamlMappingNode map)
        {
            Error(node, $"{what}: `matchers` is a mapping of label to value");
            return [];
        }
        return map.Children.ToDictionary(pair => Text(pair.Key) ?? "", pair => Text(pair.Value) ?? "");
    }

    // "2s", "500ms", "1.5m" → milliseconds, above 0 and at most an hour.
    private double? Duration(YamlMappingNode map, string name, string what, bool required = false)
    {
        var node = Child(map, name);
        if (node is null)
        {
            if (required)
            {
                Error(map, $"{what}: `{name}` is missing (a duration like 50ms or 2s)");
            }
            return null;
        }
        var match = DurationPattern().Match(Text(node) ?? "");
        if (!match.Success)
        {
            Error(node, $"{what}: {name} must be a duration like 500ms, 2s or 1.5m, not '{Text(node)}'");
            return null;
        }
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * match.Groups[2].Value switch { "ms" => 1, "s" => 1_000, _ => 60_000 };
        if (value is <= 0 or > 3_600_000)
        {
            Error(node, $"{what}: {name} {Text(node)} is out of range (above 0, at most an hour)");
            return null;
        }
        return value;
    }

    // "99.5%" or 0.995 → 0.995, strictly between 0 and 1 (1 itself for job freshness).
    private double? Share(YamlMappingNode map, string name, string what, bool required = false)
    {
        var node = Child(map, name);
        if (node is null)
        {
            if (required)
            {
                Error(map, $"{what}: `{name}` is missing (a share like 99.5%)");
            }
            return null;
        }
        var text = (Text(node) ?? "").Trim();
        var percent = text.EndsWith('%');
        if (!double.TryParse(percent ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            Error(node, $"{what}: {name} must be a share like 99.5% or 0.995, not '{text}'");
            return null;
        }
        value = percent ? value / 100 : value;
        if (value is <= 0 or > 1)
        {
            Error(node, $"{what}: {name} {text} is out of range (above 0 %, at most 100 %)");
            return null;
        }
        return value;
    }

    private double? Number(YamlMappingNode map, string name, string what, double min, double max)
    {
        var node = Child(map, name);
        if (node is null)
        {
            return null;
        }
        if (!double.TryParse(Text(node), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= min || value > max)
        {
            Error(node, $"{what}: {name} must be a number above {min} and at most {max}, not '{Text(node)}'");
            return null;
        }
        return value;
    }

    private string OneOf(YamlMappingNode map, string name, IReadOnlyList<string> allowed, string fallback, string what)
    {
        var node = Child(map, name);
        if (node is null)
        {
            return fallback;
        }
        if (Text(node) is { } value && allowed.Contains(value))
        {
            return value;
        }
        Error(node, $"{what}: {name} '{Text(node)}'; one of {string.Join(", ", allowed)}");
        return fallback;
    }

    private string? RequiredText(YamlMappingNode map, string name, string what)
    {
        if (Text(Child(map, name)) is { Length: > 0 } value)
        {
            return value;
        }
        Error(Child(map, name) ?? map, $"{what}: `{name}` is missing");
        return null;
    }

    private static YamlNode? Child(YamlMappingNode map, string name) =>
        map.Children.FirstOrDefault(pair => Text(pair.Key) == name).Value;

    private static string? Text(YamlNode? node) => node is YamlScalarNode { Value: { } value } ? value : null;

    private void Error(YamlNode node, string message) => errors.Add(new SlaError(At(node.Start), message));

    private SourceLocation At(Mark mark) => new(file, mark.Line, mark.Column);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$")]
    private static partial Regex DurationPattern();
}
