using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Vitals;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

/// <summary>A shop's page on another origin carries the snippet; a real Chromium measures it and sends to the portal.</summary>
// Side by side with other classes: a browser starved of CPU may get web-vitals' final INP or CLS report after the
// snippet's flush on hiding; the snippet sends it as the instance's next report and the portal keeps the highest.
public sealed class VitalsBrowserTests(Chromium.Full chromium) : PortalOnFreshDatabase, IClassFixture<Chromium.Full>
{
    private string key = "";
    private WebApplication? shop;
    private string shopOrigin = "";

    // The shop: another origin than the portal's, served from loopback too (Chromium keeps pages from reaching a more
    // private address space than their own).
    protected override async Task SeedAsync(NpgsqlConnection connection)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        shop = builder.Build();
        shop.MapGet("/{**path}", () => Results.Content(ShopPage, "text/html"));
        await shop.StartAsync();
        shopOrigin = shop.Urls.Single().Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        key = VitalsApps.NewKey();
        await connection.ExecuteAsync("INSERT INTO vitals_apps (id, name, public_key, allowed_origins) VALUES ('shop', 'Shop', @key, @origins)",
            new { key, origins = new[] { shopOrigin } });
    }

    public override async Task DisposeAsync()
    {
        if (shop is not null)
        {
            await shop.DisposeAsync();
        }
        await base.DisposeAsync();
    }

    // A page whose heading is its largest content (the LCP), a late banner that shifts it (CLS) and a slow click handler (INP).
    private string ShopPage => $$"""
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>Shop</title>
        <script type="module" src="{{App.BaseAddress}}vitals.js" data-portal-key="{{key}}" data-release="2.0.1" data-route="/products/:id"></script>
        </head><body>
        <h1 id="title">Winter boots</h1>
        <p id="text">Warm, waterproof, and on sale this week only.</p>
        <button id="buy" onclick="const end = performance.now() + 150; while (performance.now() < end) {} this.textContent = 'Added';">Add to cart</button>
        <script>setTimeout(() => document.body.insertAdjacentHTML('afterbegin', '<div style="height:120px">Free shipping today</div>'), 300);</script>
        </body></html>
        """;

    [Fact]
    public async Task ShopPage_WithTheSnippet_SendsRealVitalsOnHide_AndThePortalShowsThem()
    {
        var page = await chromium.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) => console.Add($"{message.Type}: {message.Text}");
        page.RequestFailed += (_, request) => console.Add($"failed: {request.Url} {request.Failure}");
        await page.GotoAsync($"{shopOrigin}/products/42?utm=mail");
        await page.WaitForTimeoutAsync(800); // the banner's shift happens
        await page.ClickAsync("#buy");
        await Expect(page.Locator("#buy")).ToHaveTextAsync("Added");
        await page.WaitForTimeoutAsync(300);
        await page.GotoAsync("about:blank"); // the page is hidden and unloaded: the snippet flushes with sendBeacon

        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        string[] metrics = [];
        for (var waited = 0; waited < 30 && metrics.Length < 5; waited++)
        {
            await Task.Delay(500);
            metrics = (await connection.QueryAsync<string>("SELECT DISTINCT metric FROM vitals_events WHERE app = 'shop' ORDER BY 1")).ToArray();
        }
        Assert.True(metrics.SequenceEqual(["CLS", "FCP", "INP", "LCP", "TTFB"]), $"metrics arrived: {string.Join(", ", metrics)}; browser: {string.Join(" | ", console)}");
        var rows = (await connection.QueryAsync<(string Metric, double Value, string Page, string Release, string? Attribution)>(
            "SELECT metric, value, page, release, attribution FROM vitals_events WHERE app = 'shop'")).ToList();
        Assert.All(rows, row => Assert.Equal(("/products/:id", "2.0.1"), (row.Page, row.Release)));
        // One event per metric instance: web-vitals may report one again once the page is hidden (same value: not sent;
        // a later value: sent as its next report, and the highest kept whatever order the beacons arrive in).
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM (SELECT event_id FROM vitals_events WHERE app = 'shop' GROUP BY event_id HAVING count(*) > 1) twice"));
        Assert.True(rows.Single(row => row.Metric == "INP").Value >= 150, "the click handler ran 150 ms");
        Assert.True(rows.Single(row => row.Metric == "CLS").Value > 0, "the banner shifted the content");
        Assert.Contains("\"target\":\"#buy\"", rows.Single(row => row.Metric == "INP").Attribution); // the element clicked

        // What a manager then sees: the app's p75s and its page.
        var portal = await chromium.OpenAsync(App, PortalRoles.Viewer, "/vitals?app=shop&range=1h");
        await Expect(portal.Locator("[data-metric=INP] [data-rating]")).ToHaveCountAsync(1);
        await Expect(portal.GetByTestId("pages")).ToContainTextAsync("/products/:id");
        await Expect(portal.GetByTestId("snippet")).ToContainTextAsync(key);
        await Chromium.ScreenshotAsync(portal, "vitals");

        // The default window (24 h) shows the same seconds-old events, from raw events: there is no daily rollup yet.
        await portal.GotoAsync(new Uri(App.BaseAddress, "/vitals?app=shop").ToString());
        await Chromium.WaitForCircuitAsync(portal);
        await Expect(portal.Locator("[data-metric=INP] [data-rating]")).ToHaveCountAsync(1);
        await Expect(portal.GetByTestId("pages")).ToContainTextAsync("/products/:id");

        await portal.GetByRole(AriaRole.Link, new() { Name = "/products/:id" }).ClickAsync();
        await Expect(portal.GetByTestId("releases")).ToContainTextAsync("2.0.1");
        await Expect(portal.GetByTestId("histogram")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(portal, "vitals-page");
    }
}
