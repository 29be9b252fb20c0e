using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Alerts;
using Portal.Features.Auth;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Alerts;

/// <summary>
/// Three rules tried on the last 7 days, each worked by hand (every 5 minutes, group wait 30 s, repeat 4 h):
/// <list type="bullet">
/// <item>a burn-rate page on <c>portal-error-rate</c> (99.5 %: budget 0.5 %) over SLI samples of 1,000 requests each
/// 5 minutes, 1 % bad but for two hours from B = 12:00 UTC three days ago, 10 % bad. With k bad samples in the hour the
/// long burn is (90k + 120) ÷ 60 = 1.5k + 2, over 14.4 from k = 9; the short window's one bad sample burns 20×: it fires
/// at B+45 min, stays through B+120 (worst 20×) and resolves at B+125 when the short window is good again (2×); one
/// firing (at B+50, the group wait over) and one resolution, neither at night;</item>
/// <item>a PromQL window <c>(vector(time()) &gt; X) and (vector(time()) &lt; X + 5 h)</c>, X = 01:00 UTC two days ago,
/// critical: it fires at X+5 (the first step past X) until X+5h; firing at X+10, a repeat at X+4h10, the resolution at
/// X+5h — all three at night (22:00 to 07:00 UTC);</item>
/// <item><c>hour() &gt; 21</c>, critical: it fires from 22:00 to midnight UTC each day of the window.</item>
/// </list>
/// </summary>
public sealed class BacktestTests(BacktestTests.Seeded fixture) : IClassFixture<BacktestTests.Seeded>
{
    /// <summary>The samples and rules above, written once: a backtest reads them and writes nothing.</summary>
    public sealed class Seeded : PortalOnFreshDatabase
    {
        public DateTimeOffset Now { get; } = DateTimeOffset.UtcNow;

        public DateTimeOffset B => new DateTimeOffset(Now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-3).AddHours(12);

        public DateTimeOffset X => new DateTimeOffset(Now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-2).AddHours(1);

        public string Rules => $$"""
            burn_rate:
              - { severity: page, factor: 14.4, long: 1h, short: 5m }
            rules:
              - { name: Window, source: promql, query: "(vector(time()) > {{X.ToUnixTimeSeconds()}}) and (vector(time()) < {{X.AddHours(5).ToUnixTimeSeconds()}})",
                  above: 0, on_empty: ok, severity: critical, labels: { service: batch } }
              - { name: NightHours, source: promql, query: "hour()", above: 21, severity: critical, labels: { service: clock } }
            notifications:
              default: slack
            """;

        // The same rules in force, for the rule's API and the Alerts page.
        protected override void Configure(Dictionary<string, string?> settings) => settings.WithAlertRules(Rules);

        protected override async Task SeedAsync(Npgsql.NpgsqlConnection connection)
        {
            var store = App.Services.GetRequiredService<SliSampleStore>();
            var start = SliEvaluator.Floor(Now.AddDays(-8));
            var samples = new List<SliSample>();
            for (var at = start.AddMinutes(5); at <= Now; at = at.AddMinutes(5))
            {
                var bad = at > B && at <= B.AddHours(2);
                samples.Add(new SliSample(at, bad ? 900 : 990, 1_000));
            }
            await store.WriteAsync("portal-error-rate", start, Now, samples);
        }
    }

    private PortalApp App => fixture.App;

    private DateTimeOffset B => fixture.B;

    private DateTimeOffset X => fixture.X;

    private string Rules => fixture.Rules;

    private async Task<JsonElement> PostAsync(string yaml)
    {
        using var client = App.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await App.TokenAsync(PortalRoles.Developer));
        using var answer = await client.PostAsync(new Uri("/api/v1/alerts/backtest?days=7", UriKind.Relative), new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.True(answer.StatusCode == HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static List<(DateTimeOffset Start, DateTimeOffset? End)> Intervals(JsonElement result) => result.GetProperty("intervals").EnumerateArray()
        .Select(interval => (interval.GetProperty("start").GetDateTimeOffset(), interval.GetProperty("end").ValueKind == JsonValueKind.Null ? (DateTimeOffset?)null : interval.GetProperty("end").GetDateTimeOffset()))
        .ToList();

    private static int Sent(JsonElement result, string kind) => result.GetProperty("notifications").TryGetProperty(kind, out var count) ? count.GetInt32() : 0;

    [Fact]
    public async Task ThreeRules_OverSevenDays_FireAndNotifyAsWorkedByHand()
    {
        var answer = await PostAsync(Rules);
        var results = answer.GetProperty("results").EnumerateArray().ToDictionary(result => result.GetProperty("key").GetString()!);

        var burn = results["ErrorBudgetBurnFast/page/portal-error-rate/1h/5m"];
        Assert.Equal([(B.AddMinutes(45), (DateTimeOffset?)B.AddMinutes(125))], Intervals(burn));
        Assert.Equal(20, burn.GetProperty("intervals")[0].GetProperty("worst").GetDouble(), 9);
        Assert.Equal((1, 0, 1, 0), (Sent(burn, "firing"), Sent(burn, "repeat"), Sent(burn, "resolved"), burn.GetProperty("pagesAtNight").GetInt32()));

        var window = results["Window/critical"];
        Assert.Equal([(X.AddMinutes(5), (DateTimeOffset?)X.AddHours(5))], Intervals(window));
        Assert.Equal((1, 1, 1, 3), (Sent(window, "firing"), Sent(window, "repeat"), Sent(window, "resolved"), window.GetProperty("pagesAtNight").GetInt32()));

        // 22:00 to midnight of each day the window holds, the first from the window's start when it begins inside one.
        var night = results["NightHours/critical"];
        var from = night.GetProperty("from").GetDateTimeOffset();
        var to = night.GetProperty("to").GetDateTimeOffset();
        var expected = new List<(DateTimeOffset, DateTimeOffset?)>();
        for (var day = new DateTimeOffset(from.UtcDateTime.Date, TimeSpan.Zero).AddDays(-1); day <= to; day = day.AddDays(1))
        {
            var (start, end) = (day.AddHours(22), day.AddDays(1));
            var first = start < from ? from : start;
            if (first < end && first <= to)
            {
                expected.Add((first, end <= to ? end : null));
            }
        }
        Assert.Equal(expected, Intervals(night));
        Assert.InRange(expected.Count, 7, 8);
        // Two notifications for each closed two hours (firing 5 minutes in, resolved at midnight), all at night.
        var closed = expected.Count(interval => interval.Item2 is not null && interval.Item2 - interval.Item1 >= TimeSpan.FromMinutes(10));
        Assert.Equal(closed, Sent(night, "resolved"));
        Assert.Equal(Sent(night, "firing") + Sent(night, "resolved"), night.GetProperty("pagesAtNight").GetInt32());

        // Every objective's burn-rate rule was tried: those without samples never fire.
        Assert.All(results.Values.Where(result => result.GetProperty("source").GetString() == "burn_rate" && result.GetProperty("key").GetString()!.Contains("portal-error-rate") == false),
            result => Assert.Empty(Intervals(result)));
    }

    [Fact]
    public async Task CommandLine_PrintsEachRulesFiringsAndNotifications_AndRefusesAnInvalidFile()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("portal-backtest-").FullName, "alerts.yaml");
        await File.WriteAllTextAsync(file, Rules);
        var output = new StringWriter(CultureInfo.InvariantCulture);
        Assert.True(await AlertBacktestCommand.RunAsync(App.Services, file, ["--days", "7"], output) == 0, output.ToString());
        Assert.Contains("  Window/critical: fired 1 times, 3 notifications (1 firing, 1 repeat, 1 resolved), 3 pages at night", output.ToString(), StringComparison.Ordinal);
        Assert.Contains($"    {X.AddMinutes(5).UtcDateTime:yyyy-MM-dd HH:mm} → {X.AddHours(5).UtcDateTime:yyyy-MM-dd HH:mm} UTC", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("  ErrorBudgetBurnFast/page/portal-error-rate/1h/5m: fired 1 times, 2 notifications (1 firing, 1 resolved), 0 pages at night", output.ToString(), StringComparison.Ordinal);

        await File.WriteAllTextAsync(file, "rules:\n  - { name: Broken, source: promql }\n");
        var refused = new StringWriter(CultureInfo.InvariantCulture);
        Assert.Equal(1, await AlertBacktestCommand.RunAsync(App.Services, file, [], refused));
        Assert.Contains("alerts.yaml:2:", refused.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, await AlertBacktestCommand.RunAsync(App.Services, file, ["--days", "90"], new StringWriter(CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task RuleInForce_TriedFromTheApi_ARiskRuleSaysWhyItCannotBe()
    {
        using var client = App.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await App.TokenAsync(PortalRoles.Developer));
        using var rules = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/v1/alerts/rules", UriKind.Relative)));
        var keys = rules.RootElement.EnumerateArray().Select(rule => rule.GetProperty("key").GetString()).ToList();
        Assert.True(keys.Contains("ErrorBudgetBurnFast/page/portal-error-rate/1h/5m"), string.Join(", ", keys));
        var burn = rules.RootElement.EnumerateArray().First(rule => rule.GetProperty("key").GetString() == "ErrorBudgetBurnFast/page/portal-error-rate/1h/5m");
        Assert.Equal(14, burn.GetProperty("minEvents").GetInt64());
        using var tried = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/v1/alerts/backtest?days=7&rule=ErrorBudgetBurnFast/page/portal-error-rate/1h/5m", UriKind.Relative)));
        Assert.Equal([(B.AddMinutes(45), (DateTimeOffset?)B.AddMinutes(125))], Intervals(tried.RootElement));
        using var tooLong = await client.GetAsync(new Uri("/api/v1/alerts/backtest?days=31&rule=x", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);

        var risk = await App.Services.GetRequiredService<AlertBacktest>().RunFileAsync("alerts.yaml",
            "rules:\n  - { name: Risky, source: risk, target: portal, risk: sequence, above: 80% }\n", 1);
        Assert.StartsWith("a risk rule reads the database's limits as they are now", Assert.Single(risk.Results!, result => result.Rule == "Risky").NotPossible, StringComparison.Ordinal);
    }
}
