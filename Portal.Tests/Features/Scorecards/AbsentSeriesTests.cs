using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Alerts;
using Portal.Features.Auth;
using Portal.Features.Jobs;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Scorecards;

/// <summary>
/// Absence is not health. A backfilled Prometheus whose scraped series (an <c>up</c> gauge and a request counter) end
/// half-way through an hour, as when an organisation's scrape job vanishes: the intervals after are no data, the
/// objectives that were met before are not called met, and the alerts reading them raise their NoData alerts. One
/// interval while the series were there had no requests at all: quiet, not absent.
/// </summary>
public sealed class AbsentSeriesTests : IAsyncLifetime
{
    private const int Intervals = 12;
    private const int IntervalsWithSeries = 6;
    private const int QuietInterval = 2;

    private readonly string folder = Directory.CreateTempSubdirectory("portal-absent-").FullName;
    private BackfilledPrometheus prometheus = null!;
    private TestDatabase database = null!;
    private PortalApp app = null!;

    /// <summary>The last interval's end, an hour ago (backfilled data must be older than Prometheus's head).</summary>
    private static readonly DateTimeOffset End = SliEvaluator.Floor(DateTimeOffset.UtcNow.AddHours(-1));

    private static DateTimeOffset Start => End - SliEvaluator.Interval * Intervals;

    /// <summary>Where the series end: the end of the last interval that had them.</summary>
    private static DateTimeOffset SeriesEnd => Start + SliEvaluator.Interval * IntervalsWithSeries;

    /// <summary>
    /// The end of the last interval each objective has a sample for. A gauge stays visible for Prometheus's 5-minute
    /// lookback after its last sample (a scraped target that vanishes gets a staleness marker at once; backfilled data
    /// cannot carry one), so the uptime SLI sees one interval more; a rate needs two points inside its range.
    /// </summary>
    private static DateTimeOffset LastSampleOf(string id) => id == "shop-uptime" ? SeriesEnd + SliEvaluator.Interval : SeriesEnd;

    public async Task InitializeAsync()
    {
        var text = new StringBuilder("# HELP gone_up Target up.\n# TYPE gone_up gauge\n");
        var requests = new StringBuilder("# HELP gone_requests Requests.\n# TYPE gone_requests counter\n");
        var (ok, failed) = (1_000.0, 10.0);
        for (var at = Start - TimeSpan.FromMinutes(10); at <= SeriesEnd; at += TimeSpan.FromSeconds(30))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"gone_up 1 {at.ToUnixTimeSeconds()}");
            // Requests every half-minute (one in 31 failing, every other interval), none in the quiet interval: its
            // counters stay where they were.
            var interval = (int)Math.Ceiling((at - Start) / SliEvaluator.Interval) - 1;
            if (interval != QuietInterval)
            {
                (ok, failed) = (ok + 30, failed + (interval % 2 == 0 ? 1 : 0));
            }
            requests.AppendLine(CultureInfo.InvariantCulture, $"gone_requests_total{{code=\"200\"}} {ok} {at.ToUnixTimeSeconds()}");
            requests.AppendLine(CultureInfo.InvariantCulture, $"gone_requests_total{{code=\"500\"}} {failed} {at.ToUnixTimeSeconds()}");
        }
        prometheus = await BackfilledPrometheus.StartAsync(text.Append(requests).AppendLine("# EOF").ToString());

        var catalogue = Path.Combine(folder, "slas.yaml");
        await File.WriteAllTextAsync(catalogue, """
            services:
              - name: shop
                team: web
                objectives:
                  - id: shop-uptime
                    title: The shop is up
                    priority: P0
                    window: 7d
                    sli: { kind: availability, up: gone_up, objective: 99% }
                  - id: shop-errors
                    title: Orders succeed
                    priority: P1
                    window: 7d
                    sli: { kind: errors, bad: 'sum(rate(gone_requests_total{code="500"}[5m]))', total: 'sum(rate(gone_requests_total[5m]))', max_error_rate: 10% }
                  - id: shop-never
                    title: A job never scraped
                    priority: P2
                    window: 7d
                    sli: { kind: availability, up: never_scraped_up, objective: 99% }
            """);
        var rules = Path.Combine(folder, "alerts.yaml");
        await File.WriteAllTextAsync(rules, """
            rules:
              - { name: ShopDown, source: promql, query: gone_up, below: 1, for: 2m, severity: critical }
              - { name: ShopDownFiltered, source: promql, query: gone_up == 0, above: 0, severity: critical, on_empty: ok }
              - { name: ShopAbsent, source: promql, query: gone_up, below: 1, severity: warning, on_empty: fire }
            """);
        database = await TestDatabase.CreateAsync();
        var settings = PortalSettings.For(database);
        settings["Prometheus:Url"] = prometheus.Url;
        settings["Scorecards:CatalogueFile"] = catalogue;
        settings["Alerts:RulesFile"] = rules;
        app = new PortalApp(settings).Start();
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
        await prometheus.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    private static SlaObjective Objective(PortalApp portal, string id) =>
        portal.Services.GetRequiredService<SlaCatalogueSource>().Current!.Objectives.Single(objective => objective.Id == id);

    [Fact]
    public async Task SeriesThatDisappear_AreNoData_NotMet_AndTheirAlertsRaiseNoData()
    {
        var evaluator = app.Services.GetRequiredService<SliEvaluator>();
        var store = app.Services.GetRequiredService<SliSampleStore>();
        foreach (var id in new[] { "shop-uptime", "shop-errors" })
        {
            var samples = await evaluator.EvaluateAsync(Objective(app, id).Sli, Start, End);
            // Only the intervals that had the series; the quiet one (its counters there, unchanged) is a sample of no events.
            Assert.Equal(Enumerable.Range(1, (int)((LastSampleOf(id) - Start) / SliEvaluator.Interval)).Select(k => Start + SliEvaluator.Interval * k), samples.Select(sample => sample.At));
            if (id == "shop-errors")
            {
                var quiet = samples[QuietInterval];
                Assert.Equal((0d, 0d), (quiet.Good, quiet.Total));
                Assert.All(samples.Where(sample => sample != quiet), sample => Assert.True(sample.Total > 0, $"{sample.At}: {sample.Total}"));
            }
            await store.WriteAsync(id, Start, End, samples);
        }
        // One whose series never were: no data, with no date to give (not "since" the start of the read).
        Assert.Empty(await evaluator.EvaluateAsync(Objective(app, "shop-never").Sli, Start, End));
        await store.WriteAsync("shop-never", Start, End, []);

        // The scorecard: met by what it had, but no data since the series went.
        var states = await store.StatesAsync();
        foreach (var id in new[] { "shop-uptime", "shop-errors" })
        {
            var objective = Objective(app, id);
            var window = Portal.Features.Scorecards.Scorecards.WindowOf("7d", End);
            var samples = (await store.ReadAsync([id], window.PreviousStart, End))[id];
            var score = Portal.Features.Scorecards.Scorecards.Score(objective, window, samples, states[id], End);
            Assert.Equal((ObjectiveStatus.Met, ObjectiveStatus.NoData, LastSampleOf(id)), (score.Budget.Status, score.Status, score.NoSeriesSince!.Value));
        }
        using var client = app.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await app.TokenAsync(PortalRoles.Viewer));
        using (var scorecards = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/v1/scorecards", UriKind.Relative))))
        {
            var objectives = scorecards.RootElement.GetProperty("services").EnumerateArray().SelectMany(service => service.GetProperty("objectives").EnumerateArray()).ToList();
            Assert.Equal(3, objectives.Count);
            Assert.All(objectives.Where(objective => objective.GetProperty("id").GetString() != "shop-never"), objective => Assert.Equal(
                ("no-data", LastSampleOf(objective.GetProperty("id").GetString()!)), (objective.GetProperty("status").GetString(), objective.GetProperty("noSeriesSince").GetDateTimeOffset())));
            var never = objectives.Single(objective => objective.GetProperty("id").GetString() == "shop-never");
            Assert.Equal(("no-data", JsonValueKind.Null), (never.GetProperty("status").GetString(), never.GetProperty("noSeriesSince").ValueKind));
        }

        // The alerts: the burn-rate rules of both objectives and the PromQL rule whose query now answers nothing are no
        // data, pending, then firing after five minutes; the filtering rule that said `on_empty: ok` stays quiet, and the
        // one that said `fire` fires at once, with no value.
        var evaluation = app.Services.GetRequiredService<AlertEvaluation>();
        var alerts = app.Services.GetRequiredService<AlertStore>();
        var summary = await evaluation.RunAsync(NoJobProgress.Instance, CancellationToken.None, End);
        Assert.Contains("ShopDown/critical: the query answered no series", summary, StringComparison.Ordinal);
        await evaluation.RunAsync(NoJobProgress.Instance, CancellationToken.None, End + AlertEvaluation.NoDataFor);
        var instances = await alerts.AllAsync();
        AlertInstance Instance(string key) => instances.Single(instance => instance.RuleKey == key);

        var shopDownNoData = Instance("ShopDown/critical/no-data");
        Assert.Equal((AlertStates.Firing, End), (shopDownNoData.State, shopDownNoData.ActiveSince!.Value));
        Assert.Contains("no series", shopDownNoData.NoDataReason, StringComparison.Ordinal);
        var burnRates = instances.Where(instance => instance.Source == AlertSources.BurnRate && instance.RuleKey.EndsWith("/no-data", StringComparison.Ordinal)).ToList();
        // Every window of both objectives whose series went; the one that never had any raises nothing it could date.
        Assert.Equal(2 * AlertRuleSet.DefaultBurnRates.Count, burnRates.Count(instance => instance.State != AlertStates.Inactive));
        burnRates = [.. burnRates.Where(instance => instance.State != AlertStates.Inactive)];
        Assert.All(burnRates, instance => Assert.Equal(AlertStates.Firing, instance.State));
        Assert.All(burnRates, instance => Assert.Contains(
            $"objective '{instance.Labels["objective"]}': Prometheus has answered no series for its SLI since {LastSampleOf(instance.Labels["objective"]):yyyy-MM-dd HH:mm} UTC",
            instance.NoDataReason, StringComparison.Ordinal));
        Assert.DoesNotContain(instances, instance => instance.RuleKey.StartsWith("ShopDownFiltered/", StringComparison.Ordinal) && instance.State != AlertStates.Inactive);
        var absent = Instance("ShopAbsent/warning");
        Assert.Equal((AlertStates.Firing, (double?)null, false), (absent.State, absent.Value, absent.NoData));
        Assert.DoesNotContain(instances, instance => instance.RuleKey == "ShopAbsent/warning/no-data" && instance.State != AlertStates.Inactive);

        // While the series were there, the same query had its value.
        var shopDown = app.Services.GetRequiredService<AlertRulesSource>().Rules().Single(rule => rule.Key == "ShopDown/critical");
        var observed = Assert.Single(await app.Services.GetRequiredService<AlertEvaluator>().ObserveAsync(shopDown, SeriesEnd - TimeSpan.FromMinutes(1)));
        Assert.Equal(1, observed.Value);
    }
}
