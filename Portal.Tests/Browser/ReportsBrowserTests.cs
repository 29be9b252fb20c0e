using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Reports;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

/// <summary>The Reports page as its users meet it: a product lead subscribes; an archived report opens, compares with the week before.</summary>
[StartEarly]
public sealed class ReportsBrowserTests(ReportsBrowserTests.Seeded fixture, Chromium chromium) : IClassFixture<ReportsBrowserTests.Seeded>, IClassFixture<Chromium>
{
    /// <summary>One portal for the class: a subscription and archived reports of the last two weeks do not disturb each other.</summary>
    public sealed class Seeded : PortalOnFreshDatabase
    {
        public ReportPeriod Week { get; } = ReportPeriod.Last(ReportSchedules.Weekly, DateTimeOffset.UtcNow, "UTC");

        // The organisation's domain: any user may subscribe an address there (local test users have no e-mail login).
        protected override void Configure(Dictionary<string, string?> settings) => settings["Reports:AllowedRecipientDomains:0"] = "example.com";

        protected override async Task SeedAsync(NpgsqlConnection connection)
        {
            foreach (var (start, values) in new[] { (Week.Previous.Start, new[] { 1_100.0, 1_900, 2_400 }), (Week.Start, new[] { 1_500.0, 2_900, 4_400, 5_100 }) })
            {
                foreach (var (value, index) in values.Select((value, index) => (value, index)))
                {
                    await connection.ExecuteAsync("""
                        INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, page, device)
                        VALUES ('portal', @at, 'LCP', @value, @value, 'good', @id, '/checkout', 'desktop')
                        """, new { at = start.AddHours(index + 1), value, id = $"lcp-{start:yyyyMMdd}-{index}" });
                }
            }
        }
    }

    private readonly ReportPeriod week = fixture.Week;

    private PortalApp App => fixture.App;

    [Fact]
    public async Task Viewer_SubscribesThemselves_AndSeesWhenTheReportComes()
    {
        var page = await chromium.OpenAsync(App, PortalRoles.Viewer, "/reports");

        var dialog = await Chromium.OpenDialogAsync(page.GetByTestId("new-subscription"));
        await dialog.GetByLabel("Your e-mail address").FillAsync("lead@example.com");
        await dialog.GetByTestId("subscribe").ClickAsync();

        await Expect(page.GetByTestId("message")).ToContainTextAsync("Subscribed: lead@example.com will receive the report Mondays at 08:00");
        await Expect(page.GetByTestId("subscriptions")).ToContainTextAsync("lead@example.com");
        await Expect(page.GetByTestId("subscriptions")).ToContainTextAsync("Mon ");
        await Chromium.ScreenshotAsync(page, "reports");
    }

    [Fact]
    public async Task ArchivedReport_Opens_AndComparesWithTheWeekBefore()
    {
        var builder = App.Services.GetRequiredService<BaselineReportBuilder>();
        var mail = App.Services.GetRequiredService<ReportMail>();
        var archive = App.Services.GetRequiredService<ReportArchive>();
        var scope = new ReportScope([], ["portal"], []);
        foreach (var period in new[] { week.Previous, week })
        {
            var report = await builder.BuildAsync(scope, period);
            await archive.SaveAsync(report, await mail.ArchiveHtmlAsync(report, null), "schedule");
        }
        var page = await chromium.OpenAsync(App, PortalRoles.Viewer, "/reports");

        await page.GetByText($"Weekly performance baseline — portal — {week.Name}").ClickAsync();
        await Expect(page.GetByTestId("report-frame")).ToBeVisibleAsync();
        await Expect(page.FrameLocator("[data-testid=report-frame]").Locator("[data-metric='Page load p95']")).ToContainTextAsync("Not met");
        await page.GetByTestId("compare").ClickAsync();

        var comparison = page.GetByTestId("comparison");
        await Expect(comparison).ToContainTextAsync(week.Previous.Name);
        await Expect(comparison.Locator("tr", new() { HasText = "Page load p95" })).ToContainTextAsync("2.35 s");   // the week before: p95 of 1.1, 1.9, 2.4 s
        await Chromium.ScreenshotAsync(page, "report");
    }
}
