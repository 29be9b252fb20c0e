using System.Globalization;
using System.Text.RegularExpressions;
using Portal.Features.Scorecards;
using Portal.Features.Vitals;
using YamlDotNet.RepresentationModel;

namespace Portal.Features.Alerts;

/// <summary>
/// Reads <c>alerts.yaml</c>: the burn-rate windows (defaults from the SRE workbook) and the threshold rules, every error
/// with its file, line and column, as the SLA catalogue is read. A rule naming an SLA objective is checked against the
/// catalogue in force. Routes naming a destination that is not configured are warned of: the notification would be kept, and shown dead.
/// </summary>
/// <param name="known">The query targets and Web Vitals apps the portal has (a rule naming another is a warning); null unchecked.</param>
public sealed partial class AlertRulesReader(string file, SlaCatalogue? catalogue = null, IReadOnlyCollection<string>? destinations = null, SlaKnowledge? known = null) : YamlFileReader(file)
{
    private static readonly double Week = TimeSpan.FromDays(7).TotalMilliseconds;

    public (AlertRuleSet? Rules, IReadOnlyList<SlaError> Errors) Read(string yaml)
    {
        if (Load(yaml, "a mapping with `rules` (and optionally `burn_rate`)") is not { } root)
        {
            return (null, Errors);
        }
        var burnRates = Child(root, "burn_rate") is { } burnNode ? ReadBurnRates(burnNode) : AlertRuleSet.DefaultBurnRates;
        var rules = new List<AlertRule>();
        switch (Child(root, "rules"))
        {
            case null:
                break;
            case YamlSequenceNode list:
                foreach (var node in list.Children)
                {
                    if (ReadRule(node) is not { } rule)
                    {
                        continue;
                    }
                    if (rules.FirstOrDefault(other => other.Name == rule.Name && other.Severity == rule.Severity) is { } first)
                    {
                        Error(node, $"rule '{rule.Name}': a second {rule.Severity} rule of this name (the first at line {first.Location?.Line})");
                    }
                    rules.Add(rule);
                }
                break;
            case var other:
                Error(other, "`rules` is a list of rules");
                break;
        }
        timeIntervals = Child(root, "time_intervals") is { } intervalsNode ? ReadTimeIntervals(intervalsNode) : [];
        var (routes, defaults, defaultRoute) = Child(root, "notifications") is { } notifications
            ? ReadNotifications(notifications)
            : ([], [SlackDestinations.Default], new NotificationRoute(new Dictionary<string, string>(), [], false));
        return (BlockingErrors > 0 ? null : new AlertRuleSet(File, rules, burnRates, DateTimeOffset.UtcNow)
        {
            Routes = routes, DefaultDestinations = defaults, DefaultRoute = defaultRoute, TimeIntervals = timeIntervals,
        }, Errors);
    }

    private Dictionary<string, TimeInterval> timeIntervals = [];

    // time_intervals: [ { name, time_intervals: [ { times: [{ start_time, end_time }], weekdays, days_of_month, months, years, location } ] } ]
    private Dictionary<string, TimeInterval> ReadTimeIntervals(YamlNode node)
    {
        var intervals = new Dictionary<string, TimeInterval>(StringComparer.Ordinal);
        if (node is not YamlSequenceNode list)
        {
            Error(node, "`time_intervals` is a list of { name, time_intervals }");
            return intervals;
        }
        foreach (var item in list.Children)
        {
            if (item is not YamlMappingNode map || RequiredText(map, "name", "time interval") is not { } name)
            {
                if (item is not YamlMappingNode)
                {
                    Error(item, "a time interval is a mapping { name, time_intervals }");
                }
                continue;
            }
            var what = $"time interval '{name}'";
            if (intervals.ContainsKey(name))
            {
                Error(map, $"{what}: a second interval of this name");
            }
            var ranges = new List<TimeRangeSpec>();
            if (Child(map, "time_intervals") is not YamlSequenceNode specs)
            {
                Error(map, $"{what}: `time_intervals` is a list of {{ times, weekdays, days_of_month, months, years, location }}");
                continue;
            }
            foreach (var spec in specs.Children)
            {
                if (spec is YamlMappingNode range && ReadRange(range, what) is { } read)
                {
                    ranges.Add(read);
                }
                else if (spec is not YamlMappingNode)
                {
                    Error(spec, $"{what}: each range is a mapping {{ times, weekdays, days_of_month, months, years, location }}");
                }
            }
            intervals[name] = new TimeInterval(name, ranges);
        }
        return intervals;
    }

    private TimeRangeSpec? ReadRange(YamlMappingNode map, string what)
    {
        var before = BlockingErrors;
        var location = TimeZoneInfo.Utc;
        if (Text(Child(map, "location")) is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out location!))
        {
            Error(Child(map, "location")!, $"{what}: unknown location '{zone}' (an IANA time zone such as Europe/Paris)");
            location = TimeZoneInfo.Utc;
        }
        var times = new List<(int, int)>();
        if (Child(map, "times") is { } timesNode)
        {
            foreach (var time in timesNode is YamlSequenceNode timeList ? timeList.Children : [timesNode])
            {
                if (time is YamlMappingNode pair && Minutes(Text(Child(pair, "start_time"))) is { } start && Minutes(Text(Child(pair, "end_time"))) is { } end && start < end)
                {
                    times.Add((start, end));
                }
                else
                {
                    Error(time, $"{what}: times are {{ start_time: 'HH:MM', end_time: 'HH:MM' }}, the start before the end (24:00 ends the day)");
                }
            }
        }
        var weekdays = Ranges(map, "weekdays", what, text => TimeRangeSpec.WeekdayNames.TryGetValue(text, out var day) ? (int)day : null, "weekday names such as monday or monday:friday")
            .Select(range => ((DayOfWeek)range.Start, (DayOfWeek)range.End)).ToList();
        var days = Ranges(map, "days_of_month", what, text => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var day) && day is >= -31 and <= 31 and not 0 ? day : null,
            "days 1 to 31, or -1 (the last) to -31, single or as ranges such as 1:7");
        var months = Ranges(map, "months", what, text => TimeRangeSpec.MonthNames.TryGetValue(text, out var month) ? month
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 12 ? number : null, "month names or 1 to 12, single or as ranges");
        var years = Ranges(map, "years", what, text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var year) && year is >= 1970 and <= 9999 ? year : null,
            "years such as 2026 or 2026:2027");
        return BlockingErrors > before ? null : new TimeRangeSpec(times, weekdays, days, months, years, location);
    }

    private static int? Minutes(string? text) =>
        text is { Length: 5 } && text[2] == ':' && int.TryParse(text[..2], NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
        && int.TryParse(text[3..], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes) && minutes < 60 && (hours < 24 || (hours == 24 && minutes == 0))
            ? hours * 60 + minutes : null;

    // "monday", "monday:friday", "1:7", "-1": single values and inclusive ranges.
    private List<(int Start, int End)> Ranges(YamlMappingNode map, string name, string what, Func<string, int?> parse, string expected)
    {
        var ranges = new List<(int, int)>();
        if (Child(map, name) is not { } node)
        {
            return ranges;
        }
        foreach (var item in node is YamlSequenceNode list ? list.Children : [node])
        {
            var text = Text(item)?.ToLowerInvariant() ?? "";
            var parts = text.Split(':');
            if (parts.Length is 1 or 2 && parse(parts[0]) is { } start && parse(parts[^1]) is { } end && (name == "weekdays" || start <= end || (start > 0 && end < 0)))
            {
                ranges.Add((start, end));
            }
            else
            {
                Error(item, $"{what}: {name} are {expected}, not '{Text(item)}'");
            }
        }
        return ranges;
    }

    // A route's (or the default's) mute_time_intervals and active_time_intervals: names of time_intervals.
    private List<string> IntervalNames(YamlMappingNode map, string name, string what)
    {
        if (Child(map, name) is not { } node)
        {
            return [];
        }
        var names = (node is YamlSequenceNode list ? list.Children : [node]).Select(item => (Node: item, Name: Text(item))).ToList();
        foreach (var (item, interval) in names.Where(pair => pair.Name is null || !timeIntervals.ContainsKey(pair.Name)))
        {
            Error(item, $"{what}: {name} names '{interval}', which `time_intervals` does not define");
        }
        return names.Select(pair => pair.Name).OfType<string>().ToList();
    }

    // notifications: { default: slack, routes: [ { match: { severity: critical }, to: [payments], continue: true } ] }
    private (List<NotificationRoute> Routes, IReadOnlyList<string> Defaults, NotificationRoute DefaultRoute) ReadNotifications(YamlNode node)
    {
        var routes = new List<NotificationRoute>();
        if (node is not YamlMappingNode map)
        {
            Error(node, "`notifications` is a mapping with `default` and `routes`");
            return (routes, [SlackDestinations.Default], new NotificationRoute(new Dictionary<string, string>(), [], false));
        }
        var defaults = Child(map, "default") is { } defaultNode ? Destinations(defaultNode, "notifications: default") : [SlackDestinations.Default];
        var defaultRoute = new NotificationRoute(new Dictionary<string, string>(), defaults, false)
        {
            MuteTimeIntervals = IntervalNames(map, "mute_time_intervals", "notifications"), ActiveTimeIntervals = IntervalNames(map, "active_time_intervals", "notifications"),
        };
        switch (Child(map, "routes"))
        {
            case null:
                break;
            case YamlSequenceNode list:
                foreach (var (item, index) in list.Children.Select((item, index) => (item, index + 1)))
                {
                    var what = $"route {index}";
                    if (item is not YamlMappingNode route)
                    {
                        Error(item, $"{what}: a route is a mapping {{ match, to, continue }}");
                        continue;
                    }
                    var match = Mapping(route, "match", what);
                    if (match.Count == 0)
                    {
                        Error(route, $"{what}: `match` names at least one label and its value (severity, team, service, alertname…)");
                    }
                    var to = Child(route, "to") is { } toNode ? Destinations(toNode, what) : null;
                    if (to is null)
                    {
                        Error(route, $"{what}: `to` names the destinations it sends to");
                    }
                    var continues = Text(Child(route, "continue")) switch
                    {
                        null or "false" => false,
                        "true" => true,
                        _ => Invalid(Child(route, "continue")!, $"{what}: `continue` is true or false"),
                    };
                    routes.Add(new NotificationRoute(match, to ?? [], continues, At(route.Start))
                    {
                        MuteTimeIntervals = IntervalNames(route, "mute_time_intervals", what), ActiveTimeIntervals = IntervalNames(route, "active_time_intervals", what),
                    });
                }
                break;
            case var other:
                Error(other, "`routes` is a list of { match, to, continue }");
                break;
        }
        return (routes, defaults, defaultRoute);
    }

    // A destination name or a list of them; one that is not configured is a warning (its notifications would be dead).
    private List<string> Destinations(YamlNode node, string what)
    {
        var names = node switch
        {
            YamlScalarNode scalar => [scalar],
            YamlSequenceNode list => list.Children.ToList(),
            _ => [],
        };
        if (names.Count == 0 || names.Any(name => Text(name) is not { Length: > 0 }))
        {
            Error(node, $"{what}: destinations are a name or a list of names");
            return [];
        }
        foreach (var name in names.Where(name => destinations is not null && !destinations.Contains(Text(name)!)))
        {
            Add(new SlaError(At(name.Start), $"{what}: {NotificationDestinations.Unknown(Text(name)!)}; its notifications will be kept as dead", Blocking: false));
        }
        return names.Select(name => Text(name)!).Distinct().ToList();
    }

    private bool Invalid(YamlNode node, string message)
    {
        Error(node, message);
        return false;
    }

    private List<BurnRateWindow> ReadBurnRates(YamlNode node)
    {
        var windows = new List<BurnRateWindow>();
        if (node is not YamlSequenceNode list)
        {
            Error(node, "`burn_rate` is a list of { severity, factor, long, short, min_events }");
            return windows;
        }
        foreach (var item in list.Children)
        {
            if (item is not YamlMappingNode map)
            {
                Error(item, "a burn-rate window is a mapping { severity, factor, long, short }");
                continue;
            }
            const string what = "burn_rate";
            var severity = OneOf(map, "severity", [AlertSeverities.Page, AlertSeverities.Ticket], AlertSeverities.Page, what);
            var factor = Number(map, "factor", what, 0, 1_000);
            var longWindow = Duration(map, "long", what, required: true, maxMs: Week);
            var shortWindow = Duration(map, "short", what, required: true, maxMs: Week);
            long? minEvents = null;
            if (Child(map, "min_events") is { } eventsNode)
            {
                if (long.TryParse(Text(eventsNode), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var events))
                {
                    minEvents = events;
                }
                else
                {
                    Error(eventsNode, $"{what}: min_events is a whole number of events, 0 or more (0: no low-traffic guard), not '{Text(eventsNode)}'");
                }
            }
            if (factor is null)
            {
                Error(map, $"{what}: `factor` is missing (a burn rate like 14.4)");
            }
            else if (longWindow is { } longMs && shortWindow is { } shortMs)
            {
                if (shortMs >= longMs)
                {
                    Error(Child(map, "short")!, $"{what}: the short window must be shorter than the long one");
                }
                windows.Add(new BurnRateWindow(severity, factor.Value, TimeSpan.FromMilliseconds(longMs), TimeSpan.FromMilliseconds(shortMs), minEvents));
            }
        }
        return windows;
    }

    private AlertRule? ReadRule(YamlNode node)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, "a rule is a mapping with `name`, `source`, `above` or `below`, and `severity`");
            return null;
        }
        var before = BlockingErrors;
        var name = RequiredText(map, "name", "rule");
        if (name is not null && !NamePattern().IsMatch(name))
        {
            Error(Child(map, "name")!, $"rule '{name}': a name is letters, digits and underscores, starting with a letter");
        }
        var what = $"rule '{name}'";
        var source = RequiredText(map, "source", what);
        if (source is not null && !AlertSources.Threshold.Contains(source))
        {
            Error(Child(map, "source")!, $"{what}: unknown source '{source}'; one of {string.Join(", ", AlertSources.Threshold)}");
        }
        var severity = OneOf(map, "severity", [AlertSeverities.Critical, AlertSeverities.Warning], AlertSeverities.Warning, what);
        var (threshold, below) = ReadThreshold(map, source, what);
        var rule = new AlertRule
        {
            Name = name ?? "?", Source = source ?? "?", Severity = severity, Threshold = threshold ?? 0, Below = below,
            For = TimeSpan.FromMilliseconds(Duration(map, "for", what, maxMs: TimeSpan.FromDays(1).TotalMilliseconds) ?? 0),
            Over = TimeSpan.FromMilliseconds(Duration(map, "over", what, maxMs: Week) ?? DefaultOver(source)),
            Labels = Mapping(map, "labels", what), Annotations = Mapping(map, "annotations", what),
            Location = At(map.Start),
        };
        rule = source switch
        {
            AlertSources.PromQl => PromQlRule(map, rule, what),
            AlertSources.Sli => rule with { Objective = KnownObjective(map, what) },
            AlertSources.Query => rule with
            {
                Target = KnownName(map, "target", Queries.QueryOptions.PortalTarget, known?.Targets, what, "query target", SlaKnowledge.TargetsAdded),
                Database = Text(Child(map, "database")), User = Text(Child(map, "user")),
                MinCalls = (long)Math.Ceiling(Number(map, "min_calls", what, 0, 1e12) ?? 1),
            },
            AlertSources.Vitals => rule with { App = KnownName(map, "app", VitalsApps.PortalApp, known?.Apps, what, "Web Vitals app", SlaKnowledge.AppsAdded), Metric = KnownVital(map, what), Page = Text(Child(map, "page")) },
            AlertSources.Cache => CacheRule(map, rule, what),
            AlertSources.Job => rule with { Job = Text(Child(map, "job")) ?? "*" },
            AlertSources.Lighthouse => rule with
            {
                Service = Text(Child(map, "service")), Page = Text(Child(map, "page")),
                Profile = Child(map, "profile") is null ? null : OneOf(map, "profile", Lab.LabProfiles.All, Lab.LabProfiles.Mobile, what),
                Category = OneOf(map, "category", Lab.LighthouseCategories.All, Lab.LighthouseCategories.Performance, what),
            },
            AlertSources.Risk => rule with
            {
                Target = KnownName(map, "target", Queries.QueryOptions.PortalTarget, known?.Targets, what, "query target", SlaKnowledge.TargetsAdded),
                Risk = OneOf(map, "risk", ["*", .. Queries.RiskKinds.All], "*", what),
            },
            _ => rule,
        };
        return BlockingErrors == before ? rule : null;
    }

    // A query that answers no series is no data unless the rule says otherwise (`on_empty: ok` for an expression that
    // filters, such as `up == 0`, and rightly answers nothing while all is well); then the check does not warn of it.
    private AlertRule PromQlRule(YamlMappingNode map, AlertRule rule, string what)
    {
        var onEmpty = OneOf(map, "on_empty", EmptyAnswers.All, EmptyAnswers.NoData, what);
        return rule with
        {
            OnEmpty = onEmpty,
            Query = PromQlText(map, "query", what, mayBeEmpty: onEmpty != EmptyAnswers.NoData,
                whileEmpty: "the rule has no data and its NoData alert fires after 5 minutes (`on_empty: ok` when no series is normal for it)"),
        };
    }

    private static double DefaultOver(string? source) => source switch
    {
        AlertSources.Vitals => TimeSpan.FromHours(1).TotalMilliseconds,
        AlertSources.Cache => TimeSpan.FromMinutes(15).TotalMilliseconds,
        // The lab-checks job audits nightly: a day and some, so the last night's run is always in it.
        AlertSources.Lighthouse => TimeSpan.FromHours(26).TotalMilliseconds,
        _ => TimeSpan.FromMinutes(5).TotalMilliseconds,
    };

    // above/below: a number in the source's unit, a duration (milliseconds) or a share ("60%" → 0.6). A job is late
    // when it missed its freshness objective: its threshold is the minutes past it (0 unless said).
    private (double? Threshold, bool Below) ReadThreshold(YamlMappingNode map, string? source, string what)
    {
        var (above, below) = (Child(map, "above"), Child(map, "below"));
        if (source == AlertSources.Job && above is null && below is null)
        {
            return (0, false);
        }
        if ((above is null) == (below is null))
        {
            Error(map, $"{what}: give exactly one of `above` and `below`");
            return (null, false);
        }
        var node = above ?? below!;
        var text = (Text(node) ?? "").Trim();
        double? value = text.EndsWith('%') ? Share(map, above is null ? "below" : "above", what)
            : DurationLike().IsMatch(text) ? Duration(map, above is null ? "below" : "above", what, maxMs: Week)
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : null;
        if (value is null && !text.EndsWith('%') && !DurationLike().IsMatch(text))
        {
            Error(node, $"{what}: {(above is null ? "below" : "above")} must be a number, a duration (2s) or a share (60%), not '{text}'");
        }
        return (value, below is not null);
    }

    private string? KnownObjective(YamlMappingNode map, string what)
    {
        var id = RequiredText(map, "objective", what);
        if (id is not null && catalogue is not null && catalogue.Objectives.All(objective => objective.Id != id))
        {
            Error(Child(map, "objective")!, $"{what}: the SLA catalogue has no objective '{id}'");
        }
        return id;
    }

    private string? KnownVital(YamlMappingNode map, string what)
    {
        var metric = RequiredText(map, "metric", what);
        if (metric is not null && VitalsMetric.Find(metric) is null)
        {
            Error(Child(map, "metric")!, $"{what}: unknown Web Vitals metric '{metric}'; one of {string.Join(", ", VitalsMetric.All.Select(known => known.Name))}");
        }
        return metric;
    }

    private AlertRule CacheRule(YamlMappingNode map, AlertRule rule, string what)
    {
        var (redis, category) = (Text(Child(map, "redis")), Text(Child(map, "category")));
        if ((redis is null) == (category is null))
        {
            Error(map, $"{what}: a cache rule names one `redis` or one `category`");
        }
        return rule with { Redis = redis, Category = category };
    }

    private Dictionary<string, string> Mapping(YamlMappingNode map, string name, string what)
    {
        switch (Child(map, name))
        {
            case null:
                return [];
            case YamlMappingNode pairs:
                return pairs.Children.ToDictionary(pair => Text(pair.Key) ?? "", pair => Text(pair.Value) ?? "");
            case var other:
                Error(other, $"{what}: `{name}` is a mapping of name to text");
                return [];
        }
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^\d+(?:\.\d+)?\s*(ms|s|m|h|d)$")]
    private static partial Regex DurationLike();
}
