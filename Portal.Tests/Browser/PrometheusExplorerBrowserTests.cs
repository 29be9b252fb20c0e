using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Features.Prometheus;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

public sealed class PrometheusExplorerBrowserTests(RunningPortalFixture fixture, Chromium chromium) : IClassFixture<RunningPortalFixture>, IClassFixture<Chromium>
{
    [Fact]
    public async Task Explorer_QueryUp_DrawsAChartAndItsShareableUrlReproducesIt()
    {
        // The test Prometheus scrapes every 15 s: wait for its first samples of `up`.
        var prometheus = fixture.Running.Portal.Services.GetRequiredService<PrometheusClient>();
        var now = DateTimeOffset.UtcNow;
        await Eventually.HoldsAsync(async () => (await prometheus.QueryRangeAsync("up", now.AddMinutes(-5), DateTimeOffset.UtcNow.AddSeconds(-30), TimeSpan.FromSeconds(15))).Result.Series.Count > 0,
            TimeSpan.FromSeconds(60), "Prometheus has scraped `up` at least once");
        var page = await chromium.OpenAsync(fixture.Running.Portal, PortalRoles.Developer, "/prometheus");

        await page.GetByLabel("PromQL").FillAsync("up");
        await page.GetByTestId("run-query").ClickAsync();

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"[?&]q=up(&|$)"));
        await Expect(page.Locator("[data-testid=chart] canvas")).ToHaveCountAsync(1);
        var stats = await page.GetByTestId("query-stats").InnerTextAsync();
        Assert.Matches(@"matrix · [1-9]\d* series", stats);
        var legend = await page.Locator("[data-testid=chart] .u-legend .u-series").CountAsync();
        Assert.True(legend >= 2, $"a legend entry per series (and the time), saw {legend}");
        await Chromium.ScreenshotAsync(page, "prometheus-explorer");

        // Someone opening the shared address sees the same query and chart.
        var shared = await chromium.OpenAsync(fixture.Running.Portal, PortalRoles.Developer, new Uri(page.Url).PathAndQuery);
        await Expect(shared.Locator("[data-testid=chart] canvas")).ToHaveCountAsync(1);
        Assert.Equal(legend, await shared.Locator("[data-testid=chart] .u-legend .u-series").CountAsync());
        Assert.Equal("up", await shared.GetByLabel("PromQL").InputValueAsync());
    }

    [Fact]
    public async Task Explorer_BadPromQL_ShowsPrometheusOwnError()
    {
        var page = await chromium.OpenAsync(fixture.Running.Portal, PortalRoles.Developer, "/prometheus?q=sum(up");

        await Expect(page.GetByTestId("query-error")).ToContainTextAsync("Prometheus refused the query (bad_data)");
        await Expect(page.GetByTestId("query-error")).ToContainTextAsync("parse error");
    }
}
