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
/// <param name="known">What the portal has (Prometheus's metric names, query targets, Web Vitals apps), each null when it
/// could not be read: a name it does not know is a warning at the value. PromQL is collected (<see cref="PromQl"/>) for
/// <see cref="SlaCatalogueCheck"/> to have Prometheus parse it.</param>
public sealed partial class SlaCatalogueReader(string file, SlaKnowledge? known = null) : YamlFileReader(file)
{

    public static readonly IReadOnlyList<string> Windows = ["7d", "28d", "30d", "month"];
    public static readonly IReadOnlyList<string> Priorities = ["P0", "P1", "P2"];

    /// <summary>The catalogue, or every error found in it.</summary>
    public (SlaCatalogue? Catalogue, IReadOnlyList<SlaError> Errors) Read(string yaml)
    {
        if (Load(yaml, "a mapping with a `services` list") is not { } root)
        {
            return (null, Errors);
        }

        var objectives = new List<SlaObjective>();
        var lab = new List<LabTarget>();
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
                if (Child(serviceMap, "lab") is { } labNode && ReadLab(labNode, name ?? "?") is { } target)
                {
                    lab.Add(target);
                }
                if (Child(serviceMap, "objectives") is not YamlSequenceNode list)
                {
                    if (Child(serviceMap, "lab") is null || Child(serviceMap, "objectives") is not null)
                    {
                        Error(serviceMap, $"service '{name}': `objectives` is missing (a list)");
                    }
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
        return (Errors.Any(error => error.Blocking) ? null : new SlaCatalogue(File, objectives, DateTimeOffset.UtcNow) { Lab = lab }, Errors);
    }

    /// <summary>A service's <c>lab:</c>: <c>pages</c> and <c>public_pages</c> (paths), <c>profiles</c> (mobile, desktop), <c>base_url</c>, <c>sign_in</c>.</summary>
    private LabTarget? ReadLab(YamlNode node, string service)
    {
        var what = $"service '{service}' lab";
        if (node is not YamlMappingNode map)
        {
            Error(node, $"{what}: a mapping with `pages` (and optionally base_url, profiles, sign_in)");
            return null;
        }
        var before = BlockingErrors;
        var baseUrl = Text(Child(map, "base_url"));
        if (baseUrl is not null && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            Error(Child(map, "base_url")!, $"{what}: base_url '{baseUrl}' is an http(s) address");
        }
        var pages = Strings(map, "pages", what, required: false);
        var publicPages = Strings(map, "public_pages", what, required: false);
        if (Child(map, "pages") is null && Child(map, "public_pages") is null)
        {
            Error(map, $"{what}: `pages` (or `public_pages`) is missing: the paths to audit (/checkout)");
        }
        foreach (var (page, at) in pages.Concat(publicPages))
        {
            if (Lab.LabEndpoints.PageProblem(page) is { } problem)
            {
                Error(at, $"{what}: '{page}': {problem}");
            }
        }
        var profiles = Strings(map, "profiles", what, required: false);
        foreach (var (profile, at) in profiles.Where(profile => !Lab.LabProfiles.All.Contains(profile.Value)))
        {
            Error(at, $"{what}: profile '{profile}'; one of {string.Join(", ", Lab.LabProfiles.All)}");
        }
        return BlockingErrors == before
            ? new LabTarget(service, baseUrl?.TrimEnd('/'), profiles.Count == 0 ? [Lab.LabProfiles.Mobile] : profiles.Select(profile => profile.Value).Distinct().ToList(),
                Text(Child(map, "sign_in")), pages.Select(page => page.Value).Distinct().ToList(), publicPages.Select(page => page.Value).Distinct().ToList(), At(map.Start))
            : null;
    }

    private List<(string Value, YamlNode Node)> Strings(YamlMappingNode map, string name, string what, bool required)
    {
        var node = Child(map, name);
        if (node is null && !required)
        {
            return [];
        }
        if (node is not YamlSequenceNode list || list.Children.Count == 0 || list.Children.Any(item => Text(item) is not { Length: > 0 }))
        {
            Error(node ?? map, $"{what}: `{name}` is a list of {(name == "profiles" ? "names" : "paths (/checkout)")}");
            return [];
        }
        return list.Children.Select(item => (Text(item)!, item)).ToList();
    }

    private SlaObjective? ReadObjective(YamlNode node, string service, string team)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, "an objective is a mapping with `id`, `title`, `window` and `sli`");
            return null;
        }
        var before = BlockingErrors;
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
        var spec = ReadSli(sli, what, service);
        return BlockingErrors == before && spec is not null
            ? new SlaObjective(id!, title!, service, teamHere, priority, window, spec, At(map.Start))
            : null;
    }

    private SliSpec? ReadSli(YamlMappingNode sli, string what, string service)
    {
        var kind = RequiredText(sli, "kind", what);
        switch (kind)
        {
            case null:
                return null;
            case SliKinds.Latency:
                var metric = RequiredText(sli, "metric", what);
                if (metric is not null && known?.Metrics is { } knownMetrics && !knownMetrics.Contains(metric + "_bucket"))
                {
                    Add(new SlaError(At(Child(sli, "metric")!.Start),
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
                    Kind = kind, Bad = PromQlText(sli, "bad", what, mayBeEmpty: true), Total = PromQlText(sli, "total", what),
                    Objective = (double)(1 - (decimal)(Share(sli, "max_error_rate", what, required: true) ?? 0)), // 1 - 0.001 in decimal: 0.999
                };
            case SliKinds.Availability:
                return new SliSpec { Kind = kind, Up = PromQlText(sli, "up", what), Objective = Share(sli, "objective", what, required: true) ?? 0 };
            case SliKinds.Query:
                var queryId = Text(Child(sli, "query_id"));
                if (Text(Child(sli, "pattern")) is null && Text(Child(sli, "database")) is null && queryId is null)
                {
                    Error(sli, $"{what}: a query SLI matches statements by `pattern`, `database` or `query_id`");
                }
                var target = KnownName(sli, "target", Queries.QueryOptions.PortalTarget, known?.Targets, what, "query target", SlaKnowledge.TargetsAdded);
                return new SliSpec
                {
                    Kind = kind, Target = target, Pattern = Text(Child(sli, "pattern")),
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
                var app = KnownName(sli, "app", VitalsApps.PortalApp, known?.Apps, what, "Web Vitals app", SlaKnowledge.AppsAdded);
                // The budget: the share rated good by Web Vitals' thresholds when good_share is set, else the percentile target's.
                return new SliSpec
                {
                    Kind = kind, App = app, Metric = vitalsMetric, Page = Text(Child(sli, "page")),
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
            case SliKinds.Lighthouse:
                // Each Lighthouse run of the service's pages is an event: good when its category scored at least score_above.
                var page = Text(Child(sli, "page"));
                if (page is not null && Lab.LabEndpoints.PageProblem(page) is { } pageProblem)
                {
                    Error(Child(sli, "page")!, $"{what}: {pageProblem}");
                }
                return new SliSpec
                {
                    Kind = kind, Service = service, Page = page,
                    Profile = Child(sli, "profile") is null ? null : OneOf(sli, "profile", Lab.LabProfiles.All, Lab.LabProfiles.Mobile, what),
                    Category = OneOf(sli, "category", Lab.LighthouseCategories.All, Lab.LighthouseCategories.Performance, what),
                    Threshold = Number(sli, "score_above", what, 0, 100) ?? RequiredScore(sli, what), Objective = Share(sli, "objective", what) ?? 0.9,
                };
            default:
                Error(Child(sli, "kind")!, $"{what}: unknown kind '{kind}'; one of {string.Join(", ", SliKinds.All)}");
                return null;
        }
    }

    private double RequiredScore(YamlMappingNode sli, string what)
    {
        Error(sli, $"{what}: a lighthouse SLI needs score_above (0–100: the Lighthouse score a run must reach to count as good)");
        return 0;
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

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex IdPattern();
}
