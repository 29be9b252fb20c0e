using Bunit;
using Bunit.TestDoubles;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Reports;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Reports;

/// <summary>The Reports page rendered with bUnit over a running portal's services: the archive list and the in-page preview.</summary>
public sealed class ReportsPageTests : PortalComponentTest, IAsyncLifetime
{
    private TestDatabase database = null!;
    private PortalApp app = null!;
    private AsyncServiceScope scope;
    private readonly ReportPeriod week = ReportPeriod.Last(ReportSchedules.Weekly, DateTimeOffset.UtcNow, "UTC");

    public override async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        app = new PortalApp(PortalSettings.For(database)).Start();
        scope = app.Services.CreateAsyncScope(); // the renderer takes scoped services, as in a circuit
        Services.AddFallbackServiceProvider(scope.ServiceProvider);
        var authorization = AddAuthorization();
        authorization.SetAuthorized("viewer");
        authorization.SetRoles(PortalRoles.Viewer);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        foreach (var (value, index) in new[] { 1_200.0, 1_800, 3_900 }.Select((value, index) => (value, index)))
        {
            await connection.ExecuteAsync("""
                INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, page, device)
                VALUES ('portal', @at, 'LCP', @value, @value, 'good', @id, '/', 'desktop')
                """, new { at = week.Start.AddHours(index + 1), value, id = $"lcp-{index}" });
        }
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await scope.DisposeAsync();
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task Archive_ListsEachReportWithItsHealthAndScore_LinkedToItsPage()
    {
        var builder = app.Services.GetRequiredService<BaselineReportBuilder>();
        var report = await builder.BuildAsync(new ReportScope([], ["portal"], []), week);
        var id = await app.Services.GetRequiredService<ReportArchive>().SaveAsync(report, "<html></html>", "schedule");

        var page = Render<ReportsPage>();

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=archive] tbody tr [data-report]")));
        var row = page.Find("[data-testid=archive] tbody tr");
        Assert.Equal($"/reports/{id}", row.QuerySelector($"[data-report='{id}']")!.GetAttribute("href"));
        Assert.Contains(report.Subject, row.TextContent, StringComparison.Ordinal);
        Assert.Equal(report.Health, row.QuerySelector("[data-health]")!.GetAttribute("data-health"));
        Assert.Contains(report.Score!.Value.ToString("0", System.Globalization.CultureInfo.InvariantCulture), row.TextContent, StringComparison.Ordinal);
        Assert.Contains("No subscription yet", page.Find("[data-testid=no-subscriptions]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preview_ShowsLastWeeksReportInThePage_WithoutArchivingIt()
    {
        var page = Render<ReportsPage>();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=no-subscriptions]")));

        await page.InvokeAsync(() => page.Find("[data-testid=preview]").Click());

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=preview-frame]")), TimeSpan.FromSeconds(30));
        var html = page.Find("[data-testid=preview-frame]").GetAttribute("srcdoc")!;
        Assert.Contains($"all services — {week.Name}", html, StringComparison.Ordinal);
        Assert.Contains("data-metric=\"Page load p95\"", html, StringComparison.Ordinal);
        Assert.Empty(await app.Services.GetRequiredService<ReportArchive>().ListAsync());
    }

    [Fact]
    public async Task Preview_ThisWeekSoFar_HasWhatArrivedThisWeek_WhichLastWeeksCannot()
    {
        // An app onboarded this week: one page load of 2,345 ms this week, nothing of it in the last whole week.
        var now = DateTimeOffset.UtcNow;
        var soFar = ReportPeriod.SoFar(ReportSchedules.Weekly, now, "UTC");
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.ExecuteAsync("""
                INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, page, device)
                VALUES ('portal', @at, 'LCP', 2345, 2345, 'good', 'lcp-this-week', '/', 'desktop')
                """, new { at = soFar.Start + (now - soFar.Start) / 2 });
        }
        var page = Render<ReportsPage>();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=no-subscriptions]")));

        await page.InvokeAsync(() => page.Find("[data-testid=preview-so-far]").Click());

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=preview-frame]")), TimeSpan.FromSeconds(30));
        var html = page.Find("[data-testid=preview-frame]").GetAttribute("srcdoc")!;
        Assert.Contains($"all services — week of {soFar.FirstDay:yyyy-MM-dd} so far (to ", html, StringComparison.Ordinal);
        Assert.Contains("2.35 s", html, StringComparison.Ordinal);
        Assert.Contains("the same span of the previous week", html, StringComparison.Ordinal);
        Assert.Equal(soFar.End - soFar.Start, soFar.Previous.End - soFar.Previous.Start);
        Assert.Equal(soFar.Start, soFar.Previous.Start.AddDays(7));
    }
}
