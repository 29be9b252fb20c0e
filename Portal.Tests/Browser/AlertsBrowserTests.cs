using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Alerts;
using Portal.Features.Auth;
using Portal.Features.Jobs;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

/// <summary>The Alerts page with the portal's own rules, one of them firing (a threshold its own Prometheus answers).</summary>
public sealed class AlertsBrowserTests(Chromium chromium) : PortalOnFreshDatabase, IClassFixture<Chromium>
{
    private readonly string rulesFile = Path.Combine(Directory.CreateTempSubdirectory("portal-alerts-").FullName, "alerts.yaml");

    protected override void Configure(Dictionary<string, string?> settings)
    {
        File.WriteAllText(rulesFile, File.ReadAllText(Repository.File("alerts.yaml")) + """
              - { name: PrometheusScrapesNothing, source: promql, query: "vector(0)", below: 1, severity: critical, labels: { service: portal, team: platform }, annotations: { summary: "Prometheus answered {{ value }}" } }
            """);
        settings["Alerts:RulesFile"] = rulesFile;
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
        await Expect(page.GetByTestId("rules")).ToContainTextAsync("7 threshold rules, 24 burn-rate rules");
        await Expect(page.GetByTestId("rules")).ToContainTextAsync("burning > 14.4× over 1h and 5m");
        await Chromium.ScreenshotAsync(page, "alerts");
    }

    [Fact]
    public async Task Admin_SendsATestMessage_ItIsQueuedForSlack()
    {
        var page = await chromium.OpenAsync(App, PortalRoles.Admin, "/alerts");

        await page.GetByTestId("send-test").ClickAsync();

        await Expect(page.GetByTestId("test-queued")).ToContainTextAsync("queued");
        await Expect(page.GetByTestId("notifications")).ToContainTextAsync("[TEST] Portal can post here");
    }
}
