using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Alerts;
using Portal.Features.Auth;
using Portal.Features.Jobs;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Scorecards;

/// <summary>
/// Onboarding: an objective observed for three intervals is warming up (at the default share, a tenth of its window):
/// its compliance so far is shown, it is neither breached nor paged for — one bad interval of three read as its budget
/// spent 33 times over and a fast-burn page. The same samples with history before them page.
/// </summary>
public sealed class WarmUpTests : PortalOnFreshDatabase
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings.Remove("Scorecards:WarmUpShare"); // the default
        settings.WithAlertRules("rules: []\n");
    }

    [Fact]
    public async Task NewObjective_ThreeIntervals_IsWarmingUp_AndNoBurnRateAlertFires_UntilItHasHistory()
    {
        var now = SliEvaluator.Floor(DateTimeOffset.UtcNow);
        var store = App.Services.GetRequiredService<SliSampleStore>();
        var evaluation = App.Services.GetRequiredService<AlertEvaluation>();
        var alerts = App.Services.GetRequiredService<AlertStore>();
        // portal-error-rate (99.5 %, a 28-day window): the last interval of three with 50 % errors, the others clean.
        var first = now - 3 * SliEvaluator.Interval;
        IReadOnlyList<SliSample> three = [new(now - 2 * SliEvaluator.Interval, 100, 100), new(now - SliEvaluator.Interval, 100, 100), new(now, 50, 100)];
        await store.WriteAsync("portal-error-rate", first, now, three);

        await evaluation.RunAsync(NoJobProgress.Instance, CancellationToken.None, now);
        async Task<List<AlertInstance>> BurnsAsync() => (await alerts.AllAsync())
            .Where(instance => instance.Source == AlertSources.BurnRate && instance.Labels.GetValueOrDefault("objective") == "portal-error-rate").ToList();
        Assert.All(await BurnsAsync(), instance => Assert.Equal((AlertStates.Inactive, false), (instance.State, instance.NoData)));

        using var client = App.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await App.TokenAsync(PortalRoles.Viewer));
        async Task<JsonElement> ObjectiveAsync()
        {
            var text = await client.GetStringAsync(new Uri("/api/v1/scorecards/portal", UriKind.Relative));
            Assert.DoesNotMatch(@"\d\.\d*0000000000\d", text); // no floating-point noise (0.9990000000000001)
            using var answer = JsonDocument.Parse(text);
            return answer.RootElement.GetProperty("services")[0].GetProperty("objectives").EnumerateArray().Single(objective => objective.GetProperty("id").GetString() == "portal-error-rate").Clone();
        }
        var warming = await ObjectiveAsync();
        // A tenth of 28 days after the first interval's start; compliance so far 250 of 300 (the budget alone: −3,233 %).
        Assert.Equal(("warming-up", first + TimeSpan.FromDays(2.8)), (warming.GetProperty("status").GetString(), warming.GetProperty("warmingUpUntil").GetDateTimeOffset()));
        Assert.Equal(250d / 300, warming.GetProperty("compliance").GetDouble(), 12);
        Assert.True(warming.GetProperty("budgetRemaining").GetDouble() < -30);
        using (var viewer = await App.SignedInClientAsync(PortalRoles.Viewer))
        {
            var page = System.Net.WebUtility.HtmlDecode(await viewer.GetStringAsync(new Uri("/scorecards", UriKind.Relative)));
            Assert.Contains("<tr data-objective=\"portal-error-rate\" data-status=\"warming-up\">", page, StringComparison.Ordinal);
            Assert.Contains($"warming up: judged from", page, StringComparison.Ordinal);
            // A Web Vitals percentile over the window says what it is (a mean of the 5-minute ones), beside its value.
            Assert.Contains("p95, mean of 5-min p95s", page, StringComparison.Ordinal); // portal-lcp: p95 targets
        }

        // With three days of clean history before them, the same three intervals are judged: the fast burn pages.
        await store.WriteAsync("portal-error-rate", now - TimeSpan.FromDays(3) - SliEvaluator.Interval, now - TimeSpan.FromDays(3), [new(now - TimeSpan.FromDays(3), 1_000, 1_000)]);
        var summary = await evaluation.RunAsync(NoJobProgress.Instance, CancellationToken.None, now);
        var fast = (await BurnsAsync()).SingleOrDefault(instance => instance.RuleKey == "ErrorBudgetBurnFast/page/portal-error-rate/1h/5m");
        Assert.True(fast is not null, summary + string.Join(", ", (await BurnsAsync()).Select(instance => instance.RuleKey)));
        Assert.Equal(AlertStates.Firing, fast.State);
        Assert.Equal("breached", (await ObjectiveAsync()).GetProperty("status").GetString());
    }
}
