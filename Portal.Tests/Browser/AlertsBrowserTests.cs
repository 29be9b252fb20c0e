using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using Portal.Features.Alerts;
using Portal.Features.Auth;
using Portal.Features.Jobs;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

/// <summary>The Alerts page with the portal's own rules, one of them firing (a threshold its own Prometheus answers).</summary>
[StartEarly]
public sealed class AlertsBrowserTests(Chromium chromium) : PortalOnFreshDatabase, IClassFixture<Chromium>
{
    private readonly SlackReceiver receiver = SlackReceiver.Start();

    public override async Task DisposeAsync()
    {
        await chromium.CloseContextsAsync(); // this test's pages first: their circuits would hold the portal's stop for 30 s
        await base.DisposeAsync();
        await receiver.DisposeAsync();
    }

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Slack:WebhookUrl"] = receiver.WebhookUrl;
        settings.WithAlertRules(File.ReadAllText(Repository.File("alerts.yaml")) + """
              - { name: PrometheusScrapesNothing, source: promql, query: "vector(0)", below: 1, severity: critical, labels: { service: portal, team: platform }, annotations: { summary: "Prometheus answered {{ value }}" } }
            """);
    }

    protected override async Task SeedAsync(NpgsqlConnection connection) =>
        await App.Services.GetRequiredService<AlertEvaluation>().RunAsync(NoJobProgress.Instance, CancellationToken.None);

    [Fact]
    public async Task Viewer_SeesTheFiringAlert_AndEveryRuleIncludingTheGeneratedBurnRates()
    {
        var page = await chromium.OpenAsync(App, PortalRoles.Viewer, "/alerts");

        var firing = page.Locator("[data-alert='PrometheusScrapesNothing/critical']");
        await Expect(firing).ToHaveAttributeAsync("data-state", "firing");
        await Expect(firing).ToContainTextAsync("Prometheus answered 0");
        await Expect(page.GetByTestId("rules")).ToContainTextAsync("8 threshold rules, 24 burn-rate rules");
        await Expect(page.GetByTestId("rules")).ToContainTextAsync("burning > 14.4× over 1h and 5m");
        await Chromium.ScreenshotAsync(page, "alerts");
    }

    [Fact]
    public async Task Developer_AcknowledgesAFiringAlertOnItsPage_AndTriesItsRuleOnTheLastSevenDays()
    {
        // A minute later the group wait is over: the alert has been notified, and can be acknowledged.
        await App.Services.GetRequiredService<AlertEvaluation>().RunAsync(NoJobProgress.Instance, CancellationToken.None, DateTimeOffset.UtcNow.AddMinutes(1));
        var fingerprint = (await App.Services.GetRequiredService<AlertStore>().ActiveAsync()).Single(alert => alert.RuleName == "PrometheusScrapesNothing").Fingerprint;
        var page = await chromium.OpenAsync(App, PortalRoles.Developer, $"/alerts/{fingerprint}");

        await page.GetByTestId("acknowledge").Locator("input").FillAsync("Looking into the scrape configuration");
        await page.GetByTestId("acknowledge-button").ClickAsync();
        await Expect(page.GetByTestId("acknowledged")).ToContainTextAsync("Looking into the scrape configuration");
        await Expect(page.GetByTestId("acknowledged")).ToContainTextAsync("no repeats until its alerts change or resolve");
        await Chromium.ScreenshotAsync(page, "alert-acknowledged");

        await page.GotoAsync(new Uri(App.BaseAddress, "/alerts").ToString());
        await Chromium.WaitForCircuitAsync(page);
        var rule = page.Locator("[data-rule='PrometheusScrapesNothing/critical']");
        await rule.GetByTestId("backtest-button").ClickAsync();
        // vector(0) has been below 1 at every instant: one interval, still open, told first and then every 4 hours.
        await Expect(rule.GetByTestId("backtest")).ToContainTextAsync("last 7 days: fired 1 time, ", new() { Timeout = 60_000 });
    }

    [Fact]
    public async Task RulesTable_FoldsEachObjectivesBurnRateRulesUnderIt_AndFitsThePage()
    {
        var page = await chromium.OpenAsync(App, PortalRoles.Viewer, "/alerts");
        var rules = page.GetByTestId("rules");
        await Expect(rules).ToContainTextAsync("8 threshold rules, 24 burn-rate rules");

        // 8 threshold rules, one row each, and one row per objective (8) holding its three burn-rate rules.
        await Expect(rules.Locator("tbody tr")).ToHaveCountAsync(16);
        var uptime = rules.Locator("tbody tr").Filter(new() { HasText = "guards portal-uptime" });
        await Expect(uptime.Locator("[data-rule]")).ToHaveCountAsync(3);
        await Expect(uptime).ToContainTextAsync("ErrorBudgetBurn");
        await Expect(uptime).ToContainTextAsync("page, ticket");
        await Expect(uptime.Locator(".mud-chip")).ToContainTextAsync(["objective=portal-uptime", "service=portal", "team=platform"]);

        // The filter still finds a rule by a label of one of the folded rules.
        await page.GetByPlaceholder("Filter rules").FillAsync("portal-uptime");
        await Expect(rules.Locator("tbody tr")).ToHaveCountAsync(1);
        await page.GetByPlaceholder("Filter rules").FillAsync("");
        await Expect(rules.Locator("tbody tr")).ToHaveCountAsync(16);

        // Sortable by severity: ascending, then descending, then the file's own order again.
        var severities = rules.Locator("tbody tr td[data-label=Severity]");
        var inFileOrder = await severities.AllInnerTextsAsync();
        var header = rules.Locator("th", new() { HasText = "Severity" });
        await header.GetByRole(AriaRole.Button).ClickAsync();
        await Expect(header).ToHaveAttributeAsync("aria-sort", "ascending");
        Assert.Equal(inFileOrder.Order(), await severities.AllInnerTextsAsync());
        await header.GetByRole(AriaRole.Button).ClickAsync();
        await Expect(header).ToHaveAttributeAsync("aria-sort", "descending");
        Assert.Equal(inFileOrder.OrderDescending(), await severities.AllInnerTextsAsync());
        await header.GetByRole(AriaRole.Button).ClickAsync();
        await Expect(header).Not.ToHaveAttributeAsync("aria-sort", new System.Text.RegularExpressions.Regex("."));
        Assert.Equal(inFileOrder, await severities.AllInnerTextsAsync());

        // Nothing runs past the table's right edge at the tests' 1400 px window (the Labels column did, by ~300 px).
        await AssertFitsAsync(page, "rules");
        await Chromium.ScreenshotAsync(page, "alerts-rules", fullPage: true);
    }

    private static async Task AssertFitsAsync(Microsoft.Playwright.IPage page, string table)
    {
        var overflow = await page.GetByTestId(table).Locator(".mud-table-container").EvaluateAsync<int>("element => element.scrollWidth - element.clientWidth");
        Assert.True(overflow <= 0, $"the {table} table runs {overflow} px past its container");
    }

    private Task<string> EvaluateAsync(TimeSpan later) =>
        App.Services.GetRequiredService<AlertEvaluation>().RunAsync(NoJobProgress.Instance, CancellationToken.None, DateTimeOffset.UtcNow + later);

    [Fact]
    public async Task Admin_CreatesASilenceFromAFiringAlert_ItsNotificationsStop()
    {
        var page = await chromium.OpenAsync(App, PortalRoles.Admin, "/alerts");
        var firing = page.Locator("[data-alert='PrometheusScrapesNothing/critical']");

        var dialog = await Chromium.OpenDialogAsync(firing.GetByTestId("silence"));
        await Expect(dialog).ToContainTextAsync("alertname=PrometheusScrapesNothing");
        await dialog.GetByTestId("create-silence").ClickAsync();
        await Expect(dialog.GetByTestId("dialog-error")).ToContainTextAsync("Say why");
        await dialog.GetByText("team=platform").ClickAsync();   // unticked: every portal alert of this rule, whatever its team
        await dialog.GetByLabel("Why").FillAsync("Prometheus is being migrated");
        await Chromium.ScreenshotAsync(page, "alerts-silence-dialog");
        await dialog.GetByTestId("create-silence").ClickAsync();

        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(firing.GetByTestId("silenced")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("silences")).ToContainTextAsync("Prometheus is being migrated");
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        var (matchers, minutes) = await Dapper.SqlMapper.QuerySingleAsync<(string, double)>(connection,
            "SELECT matchers::text, extract(epoch FROM ends_at - starts_at) / 60 FROM alert_silences");
        Assert.Equal(new Dictionary<string, string> { ["alertname"] = "PrometheusScrapesNothing", ["severity"] = "critical", ["service"] = "portal" },
            System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(matchers));
        Assert.Equal(60, minutes, 3);
        Assert.Equal(1, await Dapper.SqlMapper.ExecuteScalarAsync<int>(connection, "SELECT count(*) FROM audit_log WHERE action = 'silence.create'"));

        await EvaluateAsync(TimeSpan.FromMinutes(1)); // past the group wait: it would have been notified
        Assert.Empty(await App.Services.GetRequiredService<AlertStore>().NotificationsAsync());
    }

    [Fact]
    public async Task Viewer_FollowsANotification_FromTheHistoryToItsMessageAndTheAlertsTimeline()
    {
        await EvaluateAsync(TimeSpan.FromMinutes(1));
        await using (var connection = new NpgsqlConnection(Database.ConnectionString))
        {
            // The evaluation ran a minute ahead of the clock (past the group wait): its notification is due now.
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE alert_notifications SET next_attempt_at = now()");
        }
        var sender = ActivatorUtilities.CreateInstance<NotificationSender>(App.Services);
        while (await sender.SendNextAsync())
        {
        }
        var page = await chromium.OpenAsync(App, PortalRoles.Viewer, "/alerts");
        await Expect(page.GetByTestId("notifications")).ToContainTextAsync("[FIRING:1] PrometheusScrapesNothing — portal");
        await AssertFitsAsync(page, "notifications");

        await page.GetByTestId("history-link").ClickAsync();
        await Expect(page.GetByTestId("count")).ToContainTextAsync("1 notification, 0 dead, 0 pending");
        await Chromium.ScreenshotAsync(page, "notification-history");
        await page.GetByText("[FIRING:1] PrometheusScrapesNothing — portal").ClickAsync();

        await Expect(page.GetByTestId("slack-preview")).ToContainTextAsync("Prometheus answered 0 — 0 against 1 (critical)");
        await Expect(page.GetByTestId("facts")).ToContainTextAsync("sent");
        await Chromium.ScreenshotAsync(page, "notification");
        await page.GetByTestId("told").Locator("a").First.ClickAsync();

        await Expect(page.GetByTestId("timeline")).ToContainTextAsync("inactive → firing");
        await Expect(page.GetByTestId("notifications")).ToContainTextAsync("[FIRING:1] PrometheusScrapesNothing — portal");
        Assert.Single(receiver.Messages);
    }

    [Fact]
    public async Task Admin_SendsATestMessage_ItIsQueuedForSlack()
    {
        var page = await chromium.OpenAsync(App, PortalRoles.Admin, "/alerts");

        await page.GetByTestId("send-test").ClickAsync();

        await Expect(page.GetByTestId("test-queued")).ToContainTextAsync("queued for slack");
        await Expect(page.GetByTestId("notifications")).ToContainTextAsync("[TEST] Portal can post here");
    }
}
