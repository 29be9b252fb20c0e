using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Alerts;
using Portal.Features.Jobs;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Alerts;

/// <summary>
/// The alert-evaluation job's code against real Prometheus and PostgreSQL: PromQL rules over constant vectors (their
/// values known), an unreadable query, and burn-rate rules over SLI samples worked by hand. Evaluated at chosen instants.
/// </summary>
public sealed class AlertEvaluationTests : PortalOnFreshDatabase
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings.WithAlertRules("""
            rules:
              - { name: Breaching, source: promql, query: "vector(7)", above: 5, for: 2m, severity: warning, labels: { service: shop } }
              - { name: Calm, source: promql, query: "vector(1)", above: 5, severity: warning }
              - { name: Broken, source: promql, query: "rate(", above: 5, severity: critical }
            """);
    }

    private AlertEvaluation Evaluation => App.Services.GetRequiredService<AlertEvaluation>();

    private AlertStore Store => App.Services.GetRequiredService<AlertStore>();

    private static DateTimeOffset Now => SliEvaluator.Floor(DateTimeOffset.UtcNow);

    private async Task<AlertInstance> InstanceAsync(string key) => (await Store.AllAsync()).Single(instance => instance.RuleKey == key);

    [Fact]
    public async Task Threshold_PendingThenFiringAfterFor_TheUnreadableRuleKeepsItsAlertsAndRaisesNoData()
    {
        var t0 = Now.AddMinutes(-10);

        await Evaluation.RunAsync(NoJobProgress.Instance, CancellationToken.None, t0);
        Assert.Equal((AlertStates.Pending, 7d), ((await InstanceAsync("Breaching/warning")).State, (await InstanceAsync("Breaching/warning")).Value!.Value));
        Assert.Equal(AlertStates.Inactive, (await InstanceAsync("Calm/warning")).State);
        var noData = await InstanceAsync("Broken/critical/no-data");
        Assert.Equal((AlertStates.Pending, true), (noData.State, noData.NoData));
        Assert.Contains("parse error", noData.NoDataReason, StringComparison.OrdinalIgnoreCase);

        await Evaluation.RunAsync(NoJobProgress.Instance, CancellationToken.None, t0.AddMinutes(1));
        Assert.Equal(AlertStates.Pending, (await InstanceAsync("Breaching/warning")).State);
        await Evaluation.RunAsync(NoJobProgress.Instance, CancellationToken.None, t0.AddMinutes(2));

        var firing = await InstanceAsync("Breaching/warning");
        Assert.Equal((AlertStates.Firing, t0, t0.AddMinutes(2)), (firing.State, firing.ActiveSince!.Value, firing.FiringSince!.Value));
        Assert.Equal("shop", firing.Labels["service"]);
        Assert.Equal([("inactive", "pending"), ("pending", "firing")], (await Store.TimelineAsync(firing.Fingerprint)).Select(transition => (transition.From, transition.To)));
        await Evaluation.RunAsync(NoJobProgress.Instance, CancellationToken.None, t0.AddMinutes(5));
        Assert.Equal(AlertStates.Firing, (await InstanceAsync("Broken/critical/no-data")).State); // unreadable for 5 minutes

        using var client = App.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await App.TokenAsync(Portal.Features.Auth.PortalRoles.Viewer));
        using var alerts = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/v1/alerts", UriKind.Relative)));
        var breaching = alerts.RootElement.EnumerateArray().Single(alert => alert.GetProperty("rule").GetString() == "Breaching");
        Assert.Equal(("firing", 7d, t0), (breaching.GetProperty("state").GetString(), breaching.GetProperty("value").GetDouble(), breaching.GetProperty("since").GetDateTimeOffset()));
        Assert.DoesNotContain(alerts.RootElement.EnumerateArray(), alert => alert.GetProperty("rule").GetString() == "Calm"); // inactive: only with state=all
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await client.GetAsync(new Uri("/api/v1/alerts?state=loud", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task BurnRate_FastBurnPages_SlowBurnOnlyTickets()
    {
        var now = Now;
        var store = App.Services.GetRequiredService<SliSampleStore>();
        // portal-error-rate (99.5 %, budget 0.5 %): 10 % of requests failed in the last hour → 20× over 1 h and over 5 m.
        var fast = Enumerable.Range(0, 12).Select(i => new SliSample(now.AddMinutes(-5 * i), 900, 1_000)).ToList();
        await store.WriteAsync("portal-error-rate", now.AddHours(-1), now, fast);
        // portal-page-latency (99 %, budget 1 %): 1.5 % slow requests, evenly, for three days → 1.5× everywhere.
        var slow = Enumerable.Range(0, 3 * 288).Select(i => new SliSample(now.AddMinutes(-5 * i), 985, 1_000)).ToList();
        await store.WriteAsync("portal-page-latency", now.AddDays(-3), now, slow);

        await Evaluation.RunAsync(NoJobProgress.Instance, CancellationToken.None, now);

        var burns = (await Store.AllAsync()).Where(instance => instance.Source == AlertSources.BurnRate && !instance.RuleKey.EndsWith("/no-data", StringComparison.Ordinal))
            .ToDictionary(instance => instance.RuleKey);
        Assert.Equal((AlertStates.Firing, 20d), (burns["ErrorBudgetBurnFast/page/portal-error-rate/1h/5m"].State, Math.Round(burns["ErrorBudgetBurnFast/page/portal-error-rate/1h/5m"].Value!.Value, 9)));
        Assert.Equal(AlertStates.Firing, burns["ErrorBudgetBurnFast/page/portal-error-rate/6h/30m"].State);   // 6 h holds only that hour: 20× too
        Assert.Equal(AlertStates.Firing, burns["ErrorBudgetBurnSlow/ticket/portal-error-rate/3d/6h"].State);
        Assert.Equal((AlertStates.Inactive, 1.5), (burns["ErrorBudgetBurnFast/page/portal-page-latency/1h/5m"].State, Math.Round(burns["ErrorBudgetBurnFast/page/portal-page-latency/1h/5m"].Value!.Value, 9)));
        Assert.Equal(AlertStates.Inactive, burns["ErrorBudgetBurnFast/page/portal-page-latency/6h/30m"].State);
        Assert.Equal((AlertStates.Firing, 1.5), (burns["ErrorBudgetBurnSlow/ticket/portal-page-latency/3d/6h"].State, Math.Round(burns["ErrorBudgetBurnSlow/ticket/portal-page-latency/3d/6h"].Value!.Value, 9)));
    }

    [Fact]
    public async Task BurnRate_LowTraffic_OneBadEventInThreeNeverPages_EnoughEventsDo()
    {
        var now = Now;
        var store = App.Services.GetRequiredService<SliSampleStore>();
        // portal-error-rate (99.5 %): 1 bad request of 3 in the last hour burns 66.7× — over 14.4×, but 3 events are below the
        // guard of 1 / (14.4 × 0.005) = 13.9, rounded up: 14.
        await store.WriteAsync("portal-error-rate", now.AddHours(-1), now, [new SliSample(now.AddMinutes(-2), 2, 3)]);
        // portal-page-latency (99 %): 20 bad of 100 in the last 5 minutes burns 20× over 1 h and 5 m, with 100 events ≥ the guard of 7.
        await store.WriteAsync("portal-page-latency", now.AddHours(-1), now, [new SliSample(now.AddMinutes(-2), 80, 100)]);

        await Evaluation.RunAsync(NoJobProgress.Instance, CancellationToken.None, now);

        var rules = App.Services.GetRequiredService<AlertRulesSource>().Rules().Where(rule => rule.Source == AlertSources.BurnRate).ToDictionary(rule => rule.Key);
        Assert.Equal(14, rules["ErrorBudgetBurnFast/page/portal-error-rate/1h/5m"].MinEvents);
        Assert.Equal(7, rules["ErrorBudgetBurnFast/page/portal-page-latency/1h/5m"].MinEvents);
        Assert.Equal(AlertRuleSet.DefaultMinEvents(1, 0.01), rules["ErrorBudgetBurnSlow/ticket/portal-page-latency/3d/6h"].MinEvents);
        Assert.Equal(100, AlertRuleSet.DefaultMinEvents(1, 0.01)); // one bad of 100 burns exactly 1×: not above it
        Assert.Equal(70, AlertRuleSet.DefaultMinEvents(14.4, 0.001));
        var burns = (await Store.AllAsync()).Where(instance => instance.Source == AlertSources.BurnRate && !instance.RuleKey.EndsWith("/no-data", StringComparison.Ordinal))
            .ToDictionary(instance => instance.RuleKey);
        Assert.False(burns.TryGetValue("ErrorBudgetBurnFast/page/portal-error-rate/1h/5m", out var quiet) && quiet.State != AlertStates.Inactive,
            "one bad request in three does not page");
        Assert.Equal((AlertStates.Firing, 20d), (burns["ErrorBudgetBurnFast/page/portal-page-latency/1h/5m"].State,
            Math.Round(burns["ErrorBudgetBurnFast/page/portal-page-latency/1h/5m"].Value!.Value, 9)));
        // The ticket's guard is 100 events over 3 days: these 100 are enough, and 20 % bad burns 20× over 3 d and 6 h.
        Assert.Equal(AlertStates.Firing, burns["ErrorBudgetBurnSlow/ticket/portal-page-latency/3d/6h"].State);
    }
}
