using Portal.Features.Alerts;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.UnitTests.Features.Alerts;

/// <summary>alerts.yaml: the seed's rules, the burn-rate rules generated for the SLA catalogue, and errors at their line and column.</summary>
public sealed class AlertRulesTests
{
    private static SlaCatalogue Catalogue()
    {
        var file = Repository.File("slas.yaml");
        return new SlaCatalogueReader(file).Read(File.ReadAllText(file)).Catalogue!;
    }

    [Fact]
    public void DefaultRules_AreValid_WithTheSeedsThresholds()
    {
        var file = Repository.File("alerts.yaml");

        var (rules, errors) = new AlertRulesReader(file, Catalogue()).Read(File.ReadAllText(file));

        Assert.Empty(errors);
        var byKey = rules!.Rules.ToDictionary(rule => (rule.Name, rule.Severity));
        Assert.Equal((5d, false, TimeSpan.FromMinutes(5)), (byKey[("ResponseTimeHigh", "warning")].Threshold, byKey[("ResponseTimeHigh", "warning")].Below, byKey[("ResponseTimeHigh", "warning")].For));
        Assert.Equal(10, byKey[("ResponseTimeHigh", "critical")].Threshold);
        Assert.Equal(2_000, byKey[("QueryTimeHigh", "warning")].Threshold);   // "2s", in milliseconds
        Assert.Equal((0.6, true), (byKey[("CacheHitRatioLow", "warning")].Threshold, byKey[("CacheHitRatioLow", "warning")].Below));
        Assert.Equal(0.01, byKey[("ErrorRateHigh", "critical")].Threshold);
        Assert.Equal(("*", 0d), (byKey[("JobStale", "warning")].Job, byKey[("JobStale", "warning")].Threshold));
        var lighthouse = byKey[("LighthouseScoreLow", "warning")];
        Assert.Equal((AlertSources.Lighthouse, "performance", 90d, true, TimeSpan.FromHours(26), (string?)null),
            (lighthouse.Source, lighthouse.Category, lighthouse.Threshold, lighthouse.Below, lighthouse.Over, lighthouse.Service));
        Assert.Equal(AlertRuleSet.DefaultBurnRates, rules.BurnRates);
    }

    [Fact]
    public void BurnRateRules_OnePerObjectiveAndWindow_LabelledWithTheObjective()
    {
        var file = Repository.File("alerts.yaml");
        var catalogue = Catalogue();
        var (rules, _) = new AlertRulesReader(file, catalogue).Read(File.ReadAllText(file));

        var generated = rules!.Generated(catalogue);

        Assert.Equal(catalogue.Objectives.Count * 3, generated.Count);
        var uptime = generated.Where(rule => rule.Objective == "portal-uptime").ToList();
        Assert.Equal(["1h/5m", "6h/30m", "3d/6h"], uptime.Select(rule => rule.Labels["window"]));
        Assert.Equal([14.4, 6, 1], uptime.Select(rule => rule.Threshold));
        Assert.Equal(["page", "page", "ticket"], uptime.Select(rule => rule.Severity));
        Assert.All(uptime, rule => Assert.Equal(("portal", "platform"), (rule.Labels["service"], rule.Labels["team"])));
    }

    private static string Rule(string body) => $"rules:\n  - name: Slow\n    severity: warning\n    {body}\n";

    /// <summary>(YAML, the text the error must point at, the message it starts with.)</summary>
    public static TheoryData<string, string, string> Errors() => new()
    {
        { Rule("source: carrier-pigeon\n    above: 1"), "carrier-pigeon", "rule 'Slow': unknown source 'carrier-pigeon'" },
        { Rule("source: query\n    above: 2s\n    below: 1s"), "name: Slow", "rule 'Slow': give exactly one of `above` and `below`" },
        { Rule("source: query\n    above: soon"), "soon", "rule 'Slow': above must be a number, a duration (2s) or a share (60%)" },
        { Rule("source: sli\n    objective: nowhere\n    below: 99%"), "nowhere", "rule 'Slow': the SLA catalogue has no objective 'nowhere'" },
        { Rule("source: vitals\n    metric: FID\n    above: 100ms"), "FID", "rule 'Slow': unknown Web Vitals metric 'FID'" },
        { Rule("source: cache\n    below: 60%"), "name: Slow", "rule 'Slow': a cache rule names one `redis` or one `category`" },
        { Rule("source: promql\n    query: up\n    above: 1\n    for: 3y"), "3y", "rule 'Slow': for must be a duration" },
        { "burn_rate:\n  - { severity: page, factor: 14.4, long: 5m, short: 1h }\n", "1h", "burn_rate: the short window must be shorter than the long one" },
        { "burn_rate:\n  - { severity: page, factor: 14.4, long: 1h, short: 5m, min_events: -3 }\n", "-3", "burn_rate: min_events is a whole number of events, 0 or more (0: no low-traffic guard), not '-3'" },
        { "notifications:\n  routes:\n    - { match: {}, to: slack }\n", "{ match", "route 1: `match` names at least one label" },
        { "notifications:\n  routes:\n    - { match: { team: a }, to: [] }\n", "[]", "route 1: destinations are a name or a list of names" },
        { "notifications:\n  routes:\n    - { match: { team: a }, to: slack, continue: maybe }\n", "maybe", "route 1: `continue` is true or false" },
        { Rule("source: job") + "  - name: Slow\n    severity: warning\n    source: job\n", "name: Slow\n    severity: warning\n    source: job\n", "rule 'Slow': a second warning rule of this name (the first at line 2)" },
    };

    [Fact]
    public void BurnRate_MinEvents_ReadAsGiven_ZeroTurnsTheGuardOff_UnsetLeavesTheDefault()
    {
        var (rules, errors) = new AlertRulesReader("alerts.yaml").Read("""
            burn_rate:
              - { severity: page, factor: 14.4, long: 1h, short: 5m, min_events: 0 }
              - { severity: ticket, factor: 1, long: 3d, short: 6h, min_events: 500 }
              - { severity: page, factor: 6, long: 6h, short: 30m }
            rules: []
            """);
        Assert.Empty(errors);
        Assert.Equal([0L, 500L, null], rules!.BurnRates.Select(window => window.MinEvents));
    }

    [Theory]
    [MemberData(nameof(Errors))]
    public void Read_InvalidRules_ErrorNamesFileLineAndColumn(string yaml, string at, string message)
    {
        var index = at == "name: Slow\n    severity: warning\n    source: job\n" ? yaml.LastIndexOf("name: Slow", StringComparison.Ordinal) : yaml.IndexOf(at, StringComparison.Ordinal);
        var before = yaml[..index];
        var (line, column) = (before.Count(character => character == '\n') + 1, before.Length - before.LastIndexOf('\n'));

        var (rules, errors) = new AlertRulesReader("alerts.yaml", Catalogue()).Read(yaml);

        Assert.Null(rules);
        Assert.Contains(errors, error => error.ToString().StartsWith($"alerts.yaml:{line}:{column}: {message}", StringComparison.Ordinal));
    }

    private const string Routed = """
        notifications:
          default: [slack]
          routes:
            - { match: { team: payments }, to: payments-oncall, continue: true }
            - { match: { severity: critical }, to: [slack, pager] }
            - { match: { service: shop }, to: web }
        """;

    private static AlertInstance Alert(string severity, params (string Label, string Value)[] labels) => new()
    {
        Fingerprint = "f", RuleKey = "k", RuleName = "Slow", Severity = severity, Source = AlertSources.PromQl,
        Labels = labels.ToDictionary(label => label.Label, label => label.Value),
    };

    [Fact]
    public void Routes_FirstMatchTakesTheAlert_ContinueLetsLaterRoutesTakeItToo_ElseTheDefault()
    {
        var (rules, errors) = new AlertRulesReader("alerts.yaml", destinations: ["slack", "payments-oncall", "pager", "web"]).Read(Routed);

        Assert.Empty(errors);
        Assert.Equal(["payments-oncall", "slack", "pager"], rules!.DestinationsOf(Alert("critical", ("team", "payments"))));
        Assert.Equal(["payments-oncall", "web"], rules.DestinationsOf(Alert("warning", ("team", "payments"), ("service", "shop"))));
        Assert.Equal(["web"], rules.DestinationsOf(Alert("warning", ("service", "shop"))));
        Assert.Equal(["slack", "pager"], rules.DestinationsOf(Alert("critical", ("service", "shop"))));     // route 2 stops before route 3
        Assert.Equal(["slack"], rules.DestinationsOf(Alert("warning", ("team", "search"))));                // no route: the default
    }

    [Fact]
    public void Routes_ToADestinationNotConfigured_AreAWarningNamingTheSetting_NotABlock()
    {
        var (rules, errors) = new AlertRulesReader("alerts.yaml", destinations: ["slack"]).Read(Routed);

        Assert.NotNull(rules);
        Assert.All(errors, error => Assert.False(error.Blocking));
        Assert.Equal(
        [
            "alerts.yaml:4:40: warning: route 1: no destination 'payments-oncall' is configured (set Notifications:Destinations:payments-oncall:Kind and what that kind needs, or Slack:Destinations:payments-oncall:WebhookUrl); its notifications will be kept as dead",
            "alerts.yaml:5:52: warning: route 2: no destination 'pager' is configured (set Notifications:Destinations:pager:Kind and what that kind needs, or Slack:Destinations:pager:WebhookUrl); its notifications will be kept as dead",
            "alerts.yaml:6:39: warning: route 3: no destination 'web' is configured (set Notifications:Destinations:web:Kind and what that kind needs, or Slack:Destinations:web:WebhookUrl); its notifications will be kept as dead",
        ], errors.Select(error => error.ToString()));
    }

    [Fact]
    public void RulesTable_SaysWhatEachSourceReads()
    {
        var risk = new AlertRule { Name = "XidAge", Source = AlertSources.Risk, Severity = "warning", Threshold = 0.5, Target = "shop", Risk = "xid" };
        var lighthouse = new AlertRule
        {
            Name = "Lab", Source = AlertSources.Lighthouse, Severity = "warning", Threshold = 90, Below = true, Service = "shop", Page = "/checkout", Profile = "mobile",
            Category = "performance", Over = TimeSpan.FromHours(26),
        };

        // A risk rule once read "minutes past freshness of" (the job source's words): each source says its own.
        Assert.Equal("share used of the Transaction-ID wraparound on shop", AlertsPage.What(risk));
        Assert.Equal("last Lighthouse performance score of shop /checkout (mobile) over 26h", AlertsPage.What(lighthouse));
    }
}
