using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Alerts;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Scorecards;

/// <summary>The SLA catalogue as code: the default file, errors at their line and column, and reloads that keep the last valid catalogue.</summary>
public sealed class SlaCatalogueTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("slas-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(folder, recursive: true);
        return Task.CompletedTask;
    }

    private static string Objective(string sli, string id = "shop-lcp", string extra = "") => $$"""
        services:
          - name: shop
            team: web
            objectives:
              - id: {{id}}
                title: Product pages are quick
                {{extra}}
                sli: {{sli}}
        """;

    [Fact]
    public void DefaultCatalogue_IsValid_AndHoldsThePortalsSeedObjectives()
    {
        var file = Repository.File("slas.yaml");

        var (catalogue, errors) = new SlaCatalogueReader(file).Read(File.ReadAllText(file));

        Assert.Empty(errors);
        var objectives = catalogue!.Objectives.ToDictionary(objective => objective.Id);
        Assert.Equal(["portal"], catalogue.Services.Select(service => service.Key));
        Assert.Equal(new Dictionary<string, double> { ["p95"] = 2_000, ["p99"] = 3_000, ["max"] = 5_000 }, objectives["portal-page-latency"].Sli.Targets);
        Assert.Equal(0.995, objectives["portal-error-rate"].Sli.Objective, 12);
        Assert.Equal((0.995, "month", (TimeSpan?)null), (objectives["portal-uptime"].Sli.Objective, objectives["portal-uptime"].Window, objectives["portal-uptime"].RollingWindow));
        Assert.Equal(50, objectives["portal-indexed-lookups"].Sli.Threshold);
        Assert.Equal(0.8, objectives["portal-cache-hit-ratio"].Sli.Objective, 12);
        Assert.Equal(new Dictionary<string, double> { ["p95"] = 1_200, ["p99"] = 1_800, ["max"] = 2_500 }, objectives["portal-lcp"].Sli.Targets);
        Assert.Equal(800, objectives["portal-fcp"].Sli.Targets["p95"]);
        // Budget forms: faster_than with its objective; a percentile target alone ("p95 below 1.2 s" = 95 % under 1.2 s).
        Assert.Equal((2_000d, 0.99), (objectives["portal-page-latency"].Sli.Threshold!.Value, objectives["portal-page-latency"].Sli.Objective));
        Assert.Equal((1_200d, 0.95), (objectives["portal-lcp"].Sli.Threshold!.Value, objectives["portal-lcp"].Sli.Objective));
        Assert.Equal(("*", "P1"), (objectives["portal-jobs-fresh"].Sli.Job, objectives["portal-jobs-fresh"].Priority));
    }

    /// <summary>(YAML, the text the error must point at, the message it starts with.)</summary>
    public static TheoryData<string, string, string> Errors() => new()
    {
        { Objective("{ kind: speed }"), "speed", "objective 'shop-lcp': unknown kind 'speed'" },
        { Objective("{ kind: vitals, metric: LCP, p75: fast }"), "fast", "objective 'shop-lcp': p75 must be a duration" },
        { Objective("{ kind: vitals, metric: LCP, p75: 2s, good_share: 120% }"), "120%", "objective 'shop-lcp': good_share 120% is out of range" },
        { Objective("{ kind: availability, up: 'up', objective: 0% }"), "0%", "objective 'shop-lcp': objective 0% is out of range" },
        { Objective("{ kind: vitals, metric: FID, p75: 100ms }"), "FID", "objective 'shop-lcp': unknown Web Vitals metric 'FID'" },
        { Objective("{ kind: cache, hit_ratio_above: 80% }"), "{ kind: cache", "objective 'shop-lcp': a cache SLI names a `category`" },
        { Objective("{ kind: latency, metric: http_request_duration_seconds, max: 5s }"), "{ kind: latency", "objective 'shop-lcp': a latency SLI needs p95 or p99, or faster_than with an objective (its error budget)" },
        { Objective("{ kind: errors, total: 'x', max_error_rate: 1% }"), "{ kind: errors", "objective 'shop-lcp': `bad` is missing" },
        { Objective("{ kind: vitals, metric: LCP, p75: 2s }", extra: "window: fortnight"), "fortnight", "objective 'shop-lcp': window 'fortnight'" },
        { Objective("{ kind: vitals, metric: LCP, p75: 2s }", id: "Shop LCP"), "Shop LCP", "id 'Shop LCP'" },
        { "services:\n  - name: shop\n    team: web\n    objectives:\n      - id: a\n        title: A\n        sli: { kind: job }\n      - id: b\n        title: B\n        sli: { kind: job }\n      - id: a\n        title: C\n        sli: { kind: job }\n",
            "a\n        title: C", "duplicate objective id 'a' (first at line 5)" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Read_InvalidCatalogue_ErrorNamesFileLineAndColumn(string yaml, string at, string message)
    {
        // Where the offending text is, counted here from the YAML itself (lines and columns from 1).
        var before = yaml[..yaml.IndexOf(at, StringComparison.Ordinal)];
        var (line, column) = (before.Count(character => character == '\n') + 1, before.Length - before.LastIndexOf('\n'));

        var (catalogue, errors) = new SlaCatalogueReader("slas.yaml").Read(yaml);

        Assert.Null(catalogue);
        Assert.Contains(errors, error => error.ToString().StartsWith($"slas.yaml:{line}:{column}: {message}", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_NotYaml_SaysSoWithThePlace()
    {
        var (catalogue, errors) = new SlaCatalogueReader("slas.yaml").Read("services: [ { name: shop\n");

        Assert.Null(catalogue);
        Assert.Matches(@"^slas\.yaml:\d+:\d+: not valid YAML", Assert.Single(errors).ToString());
    }

    [Fact]
    public void Read_LatencyOfAMetricPrometheusDoesNotHave_IsAWarning()
    {
        var yaml = Objective("{ kind: latency, metric: http_request_duration_secs, p95: 2s }");

        var (loaded, errors) = new SlaCatalogueReader("slas.yaml", new SlaKnowledge(new HashSet<string> { "http_request_duration_seconds_bucket" })).Read(yaml);
        var (valid, none) = new SlaCatalogueReader("slas.yaml", new SlaKnowledge(new HashSet<string> { "http_request_duration_secs_bucket" })).Read(yaml);

        // A fresh install's Prometheus has not scraped anything yet: the catalogue loads, the SLI waits for data.
        Assert.Equal("slas.yaml:8:39: warning: objective 'shop-lcp': Prometheus has no histogram 'http_request_duration_secs' (no 'http_request_duration_secs_bucket' among its metric names); the SLI has no data until it does",
            Assert.Single(errors).ToString());
        Assert.NotNull(loaded);
        Assert.Empty(none);
        Assert.NotNull(valid);
    }

    [Fact]
    public async Task Check_AsTheRunningPortalChecks_FailsOnUnknownTargetAppPromQlAndMetric_AtTheirLineAndColumn()
    {
        var good = Path.Combine(folder, "good.yaml");
        var bad = Path.Combine(folder, "bad.yaml");
        await File.WriteAllTextAsync(good, """
            services:
              - name: portal
                team: platform
                objectives:
                  - id: portal-lcp
                    title: Pages show quickly
                    sli: { kind: vitals, app: portal, metric: LCP, p75: 2.5s }
                  - id: portal-queries
                    title: Statements are quick
                    sli: { kind: query, target: portal, pattern: orders, mean_below: 50ms }
                  - id: prometheus-errors
                    title: Prometheus answers
                    sli: { kind: errors, bad: 'sum(rate(prometheus_http_requests_total{code=~"5.."}[5m]))', total: 'sum(rate(prometheus_http_requests_total[5m]))', max_error_rate: 0.01 }
            """);
        var badYaml = """
            services:
              - name: shop
                team: web
                objectives:
                  - id: slow-orders
                    title: Orders are quick
                    sli: { kind: query, target: nowhere, pattern: orders, mean_below: 50ms }
                  - id: shop-lcp
                    title: Product pages are quick
                    sli: { kind: vitals, app: no-such-app, metric: LCP, p75: 2.5s }
                  - id: checkout-errors
                    title: Checkout rarely fails
                    sli: { kind: errors, bad: 'sum(rate(up[5m])', total: 'sum(rate(up[5m]))', max_error_rate: 0.01 }
                  - id: shop-up
                    title: The shop is up
                    sli: { kind: availability, up: 'no_such_metric_anywhere', objective: 0.999 }
            """;
        await File.WriteAllTextAsync(bad, badYaml);
        await using var database = await TestDatabase.CreateAsync();
        await using var portal = new PortalApp(PortalSettings.For(database)).Start();
        var output = new StringWriter();

        Assert.Equal(0, await SlaCheckCommand.RunAsync(portal.Services, good, output));
        Assert.Contains($"{good}: 3 objectives of 1 service, valid.", output.ToString());

        output = new StringWriter();
        Assert.Equal(1, await SlaCheckCommand.RunAsync(portal.Services, bad, output));
        string At(string value) => Position(bad, badYaml, value);
        var found = output.ToString();
        Assert.Contains(At("nowhere") + "warning: objective 'slow-orders': no query target 'nowhere'; the portal has 'portal'", found);
        Assert.Contains(At("no-such-app") + "warning: objective 'shop-lcp': no Web Vitals app 'no-such-app'; the portal has 'portal'", found);
        Assert.Contains(At("'sum(rate(up[5m])'") + "objective 'checkout-errors': `bad`: Prometheus cannot parse it: ", found);
        Assert.Contains(At("'no_such_metric_anywhere'") + "warning: objective 'shop-up': `up`: Prometheus has no series for it now", found);
    }

    [Fact]
    public async Task Check_AlertRules_AgainstTheCatalogueTargetsAppsAndPrometheus_AtTheirLineAndColumn()
    {
        var file = Path.Combine(folder, "alerts.yaml");
        var yaml = """
            rules:
              - name: Broken
                source: promql
                query: sum(rate(up[5m])
                above: 1
                severity: warning
              - name: SlowOrders
                source: query
                target: nowhere
                above: 2s
                severity: warning
              - name: SlowPages
                source: vitals
                app: nope
                metric: LCP
                above: 2.5s
                severity: warning
              - name: Burning
                source: sli
                objective: no-such-objective
                below: 99%
                severity: warning
              - name: NothingThere
                source: promql
                query: no_such_metric_anywhere
                above: 1
                severity: warning
              - name: NothingIsNormal
                source: promql
                query: no_such_metric_anywhere == 1
                above: 0
                severity: warning
                on_empty: ok
            """;
        await File.WriteAllTextAsync(file, yaml);
        await using var database = await TestDatabase.CreateAsync();
        var settings = PortalSettings.For(database);
        settings["Slack:WebhookUrl"] = "http://127.0.0.1:9/services/T0/B0/x"; // the default route's destination, configured
        await using var portal = new PortalApp(settings).Start();
        var output = new StringWriter();

        Assert.Equal(1, await SlaCheckCommand.RunAsync(portal.Services, file, output));

        string At(string value) => Position(file, yaml, value);
        var found = output.ToString();
        Assert.Contains(At("sum(rate(up[5m])") + "rule 'Broken': `query`: Prometheus cannot parse it: ", found);
        Assert.Contains(At("nowhere") + "warning: rule 'SlowOrders': no query target 'nowhere'", found);
        Assert.Contains(At("nope") + "warning: rule 'SlowPages': no Web Vitals app 'nope'", found);
        Assert.Contains(At("no-such-objective") + "rule 'Burning': ", found);
        Assert.Contains(At("no_such_metric_anywhere") + "warning: rule 'NothingThere': `query`: Prometheus has no series for it now " +
            "(a metric that does not exist, or is not scraped yet): the rule has no data and its NoData alert fires after 5 minutes", found);
        Assert.DoesNotContain("NothingIsNormal", found, StringComparison.Ordinal);

        // The portal's own rules: no error; the rules reading the portal's request metrics are told they would have no
        // data exactly when Prometheus has no series for their query now (./portal test's scrapes no portal, so all
        // three; ./portal up's scrapes its portal), and nothing else is said.
        var rules = new AlertRulesReader("alerts.yaml").Read(await File.ReadAllTextAsync(Repository.File("alerts.yaml"))).Rules!.Rules;
        var silent = new List<string>();
        using (var prometheus = new HttpClient { BaseAddress = new Uri(TestServices.PrometheusUrl) })
        {
            foreach (var rule in rules.Where(rule => rule.Query is not null && rule.Query.Contains("job=\"portal\"", StringComparison.Ordinal)))
            {
                using var answer = System.Text.Json.JsonDocument.Parse(await prometheus.GetStringAsync(new Uri($"/api/v1/query?query={Uri.EscapeDataString(rule.Query!)}", UriKind.Relative)));
                if (answer.RootElement.GetProperty("data").GetProperty("result").GetArrayLength() == 0)
                {
                    silent.Add(rule.Name);
                }
            }
        }
        output = new StringWriter();
        Assert.Equal(silent.Count > 0 ? 1 : 0, await SlaCheckCommand.RunAsync(portal.Services, Repository.File("alerts.yaml"), output));
        var findings = output.ToString().Split('\n').Where(line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^\S+alerts\.yaml:\d+:\d+: ") && !line.Contains("Slack", StringComparison.Ordinal)).ToList();
        Assert.Equal(silent, findings.Select(line =>
            System.Text.RegularExpressions.Regex.Match(line, @": warning: rule '(\w+)': `query`: Prometheus has no series for it now .*NoData alert fires").Groups[1].Value));
    }

    [Fact]
    public async Task Check_WithoutPrometheusOrWithoutThePortal_ChecksWhatItCan_AndSaysWhatItDidNot()
    {
        var file = Path.Combine(folder, "slas.yaml");
        await File.WriteAllTextAsync(file, Objective("{ kind: errors, bad: 'sum(rate(errors_total[5m])', total: 'sum(rate(requests_total[5m]))', max_error_rate: 0.01 }"));
        await using var database = await TestDatabase.CreateAsync();
        var settings = PortalSettings.For(database);
        settings["Prometheus:Url"] = "http://127.0.0.1:9"; // nothing listens there
        await using var portal = new PortalApp(settings).Start();

        // What every panel that reads Prometheus relies on to degrade instead of failing.
        await Assert.ThrowsAsync<Portal.Features.Prometheus.PrometheusUnavailableException>(
            () => portal.Services.GetRequiredService<Portal.Features.Prometheus.PrometheusClient>().QueryAsync("up"));

        foreach (var services in new[] { portal.Services, null })
        {
            var output = new StringWriter();
            Assert.Equal(1, await SlaCheckCommand.RunAsync(services, file, output));
            Assert.Contains($"{file}:8:35: objective 'shop-lcp': `bad`: '(' at character 4 does not close", output.ToString());
            Assert.Contains(services is null ? "not checked: no portal configuration" : "not checked: Prometheus is unreachable", output.ToString());
        }
    }

    // "file:line:column: " of the first occurrence of value in the file's text, counted here, apart from the reader.
    private static string Position(string file, string text, string value)
    {
        var lines = text.Split('\n');
        var line = Array.FindIndex(lines, candidate => candidate.Contains(value, StringComparison.Ordinal));
        return $"{file}:{line + 1}:{lines[line].IndexOf(value, StringComparison.Ordinal) + 1}: ";
    }

    [Theory]
    [InlineData("{ kind: availability, up: up, objective: 99.9% }")]
    [InlineData("{ kind: availability, up: up, objective: 0.999 }")]
    [InlineData("{ kind: errors, bad: up, total: up, max_error_rate: 0.1% }")]
    public void Read_Shares_AreTheNumbersWritten(string sli)
    {
        var (catalogue, errors) = new SlaCatalogueReader("slas.yaml").Read(Objective(sli));

        Assert.Empty(errors);
        // 99.9 / 100 in binary floating point is 0.9990000000000001: the API and CSV showed that.
        Assert.Equal("0.999", catalogue!.Objectives.Single().Sli.Objective.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void UnbalancedBracket_NamesTheFirstOne_AndSkipsStrings()
    {
        Assert.Null(SlaCatalogueCheck.UnbalancedBracket("sum(rate(http_requests_total{code=~\"5..\", path=\")(\"}[5m]))"));
        Assert.Equal("'(' at character 4 does not close", SlaCatalogueCheck.UnbalancedBracket("sum(rate(up[5m])"));
        Assert.Equal("')' at character 3 closes nothing", SlaCatalogueCheck.UnbalancedBracket("up)"));
        Assert.Equal("')' at character 11 closes nothing", SlaCatalogueCheck.UnbalancedBracket("rate(up[5m)]"));
        Assert.Equal("the string opened at character 6 does not close", SlaCatalogueCheck.UnbalancedBracket("up{a=\"b}"));
    }

    [Fact]
    public async Task Reload_AnInvalidEditKeepsTheLastValidCatalogue_AValidOneReplacesItWithoutRestart()
    {
        await using var database = await TestDatabase.CreateAsync();
        var file = Path.Combine(folder, "slas.yaml");
        await File.WriteAllTextAsync(file, Objective("{ kind: vitals, metric: LCP, p75: 2.5s }"));
        var settings = PortalSettings.For(database);
        settings["Scorecards:CatalogueFile"] = file;
        await using var portal = new PortalApp(settings).Start();
        var source = portal.Services.GetRequiredService<SlaCatalogueSource>();
        Assert.Equal(2_500, source.Current!.Objectives.Single().Sli.Targets["p75"]);

        await File.WriteAllTextAsync(file, Objective("{ kind: vitals, metric: LCP, p75: soon }"));
        await Eventually.HoldsAsync(() => Task.FromResult(source.Errors.Count > 0), TimeSpan.FromSeconds(20), "the invalid edit is noticed");
        Assert.Equal(2_500, source.Current!.Objectives.Single().Sli.Targets["p75"]);
        Assert.StartsWith($"{file}:8:48: objective 'shop-lcp': p75 must be a duration", source.Errors.Single(error => error.Message.Contains("p75 must")).ToString());

        // Admins see it on the Scorecards page; viewers do not.
        using (var admin = await portal.SignedInClientAsync(Portal.Features.Auth.PortalRoles.Admin))
        using (var viewer = await portal.SignedInClientAsync(Portal.Features.Auth.PortalRoles.Viewer))
        {
            var adminPage = System.Net.WebUtility.HtmlDecode(await admin.GetStringAsync("/scorecards"));
            Assert.Contains("the last valid catalogue stays in force", adminPage);
            Assert.Contains("p75 must be a duration like 500ms, 2s or 1.5m, not 'soon'", adminPage);
            Assert.DoesNotContain("p75 must be a duration", System.Net.WebUtility.HtmlDecode(await viewer.GetStringAsync("/scorecards")));
        }

        await File.WriteAllTextAsync(file, Objective("{ kind: vitals, metric: LCP, p75: 2s }"));
        await Eventually.HoldsAsync(() => Task.FromResult(source.Errors.Count == 0 && source.Current!.Objectives.Single().Sli.Targets["p75"] == 2_000),
            TimeSpan.FromSeconds(20), "the valid edit is in force");
    }

    [Fact]
    public async Task Load_AHistogramTheRealPrometheusDoesNotHave_LoadsWithAWarningAtItsPlace()
    {
        await using var database = await TestDatabase.CreateAsync();
        var file = Path.Combine(folder, "slas.yaml");
        await File.WriteAllTextAsync(file, Objective("{ kind: latency, metric: no_such_histogram_seconds, p95: 2s }"));
        var settings = PortalSettings.For(database);
        settings["Scorecards:CatalogueFile"] = file;

        await using var portal = new PortalApp(settings).Start();

        var source = portal.Services.GetRequiredService<SlaCatalogueSource>();
        Assert.Equal("shop-lcp", source.Current!.Objectives.Single().Id);
        Assert.Equal($"{file}:8:39: warning: objective 'shop-lcp': Prometheus has no histogram 'no_such_histogram_seconds' (no 'no_such_histogram_seconds_bucket' among its metric names); the SLI has no data until it does",
            Assert.Single(source.Errors).ToString());
    }
}
