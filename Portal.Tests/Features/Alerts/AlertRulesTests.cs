using Portal.Features.Alerts;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Alerts;

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
        { Rule("source: job") + "  - name: Slow\n    severity: warning\n    source: job\n", "name: Slow\n    severity: warning\n    source: job\n", "rule 'Slow': a second warning rule of this name (the first at line 2)" },
    };

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
}
