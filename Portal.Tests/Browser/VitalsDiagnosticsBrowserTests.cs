using System.Text.Json;
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

/// <summary>
/// Pages made slow in one known way each — a slow first byte, a large image nobody preloads, a click handler busy for
/// 300 ms in a named function, a single-page app's soft navigation — loaded in real Chromium with the snippet. What the
/// portal stores is compared with what Chromium's own Performance APIs said about the same load, read in the page.
/// </summary>
// Alone, after the parallel part: the pages are slow on purpose, and a browser starved of CPU by other test classes
// once left /big-image before its snippet had run (CI, nothing sent).
[Collection(Serial.Name)]
public sealed class VitalsDiagnosticsBrowserTests(VitalsDiagnosticsBrowserTests.Shop shop, Chromium.Full chromium)
    : IClassFixture<VitalsDiagnosticsBrowserTests.Shop>, IClassFixture<Chromium.Full>
{
    private const int ImageWidth = 900;
    private const int ImageHeight = 600;

    /// <summary>A portal, and a shop on another origin (loopback too: Chromium keeps pages from reaching a more private address space).</summary>
    public sealed class Shop : PortalOnFreshDatabase
    {
        private WebApplication? server;
        private readonly byte[] image = Bitmap(ImageWidth, ImageHeight);

        public string Origin { get; private set; } = "";

        public string ShopKey { get; } = VitalsApps.NewKey();

        public string SpaKey { get; } = VitalsApps.NewKey();

        protected override async Task SeedAsync(NpgsqlConnection connection)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            server = builder.Build();
            // The first byte comes after 600 ms, with the backend's own account of it.
            server.MapGet("/slow-ttfb", async (HttpContext context) =>
            {
                await Task.Delay(600);
                context.Response.Headers["Server-Timing"] = "db;dur=123;desc=\"queryid=4711\", cache;desc=hit";
                return Results.Content(Page(ShopKey, "<h1>Order history</h1><p>Everything you bought this year.</p>"), "text/html");
            });
            // A large image, not preloaded, that arrives slowly: 64 KiB every 30 ms.
            server.MapGet("/big-image", () => Results.Content(Page(ShopKey, $"""<p>Winter sale</p><img id="hero" src="/hero.bmp" width="{ImageWidth}" height="{ImageHeight}" alt="Boots">"""), "text/html"));
            server.MapGet("/hero.bmp", async (HttpContext context) =>
            {
                context.Response.ContentType = "image/bmp";
                context.Response.ContentLength = image.Length;
                for (var offset = 0; offset < image.Length; offset += 64 * 1024)
                {
                    await context.Response.Body.WriteAsync(image.AsMemory(offset, Math.Min(64 * 1024, image.Length - offset)));
                    await context.Response.Body.FlushAsync();
                    await Task.Delay(30);
                }
            });
            // A click handler busy for 300 ms, in a named function of a script file.
            server.MapGet("/busy-click", () => Results.Content(Page(ShopKey, """<h1>Cart</h1><button id="buy">Buy now</button><script src="/app.js"></script>"""), "text/html"));
            server.MapGet("/app.js", () => Results.Content("""
                function slowHandler() {
                  const end = performance.now() + 300;
                  while (performance.now() < end) {}
                  document.getElementById("buy").textContent = "Bought";
                }
                document.getElementById("buy").addEventListener("click", slowHandler);
                """, "text/javascript"));
            // A single-page app: a click changes the URL and the content without a page load.
            server.MapGet("/app/{**rest}", () => Results.Content(Page(SpaKey, """
                <nav><a id="orders" href="/app/orders/7">Orders</a></nav>
                <main id="main"><h1>Dashboard</h1><p>Welcome back.</p></main>
                <script>
                  document.getElementById("orders").addEventListener("click", (event) => {
                    event.preventDefault();
                    history.pushState({}, "", "/app/orders/7");
                    document.querySelector('meta[name="portal-route"]').content = "/app/orders/:id";
                    document.getElementById("main").innerHTML = "<h1>Order 7</h1><p>Two pairs of winter boots, shipped on Monday to the warehouse in Lyon.</p>";
                  });
                </script>
                """, softNavigations: true), "text/html"));
            await server.StartAsync();
            Origin = server.Urls.Single().Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
            await connection.ExecuteAsync("""
                INSERT INTO vitals_apps (id, name, public_key, allowed_origins, soft_navigations)
                VALUES ('shop', 'Shop', @ShopKey, @origins, false), ('spa', 'Back office', @SpaKey, @origins, true)
                """, new { ShopKey, SpaKey, origins = new[] { Origin } });
        }

        // Every page records what Chromium's Performance APIs report, from its first line, for the test to read.
        private string Page(string key, string body, bool softNavigations = false) => $$"""
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>Shop</title>
            {{(softNavigations ? "<meta name=\"portal-route\" content=\"/app\">" : "")}}
            <script>
              window.perf = { event: [], loaf: [], lcp: [], soft: [] };
              for (const [type, list, extra] of [["event", "event", { durationThreshold: 16 }], ["long-animation-frame", "loaf"], ["largest-contentful-paint", "lcp"], ["soft-navigation", "soft"]]) {
                new PerformanceObserver((entries) => window.perf[list].push(...entries.getEntries().map((entry) => entry.toJSON()))).observe({ type, buffered: true, ...extra });
              }
            </script>
            <script type="module" src="{{App.BaseAddress}}vitals.js" data-portal-key="{{key}}" data-release="3.0.0"{{(softNavigations ? " data-soft-navigations" : "")}}></script>
            </head><body>{{body}}</body></html>
            """;

        // An uncompressed 24-bit BMP: large (1.6 MB) without an encoder.
        private static byte[] Bitmap(int width, int height)
        {
            var row = (width * 3 + 3) / 4 * 4;
            var bytes = new byte[54 + row * height];
            void Int(int at, int value) => BitConverter.GetBytes(value).CopyTo(bytes, at);
            bytes[0] = (byte)'B';
            bytes[1] = (byte)'M';
            Int(2, bytes.Length);
            Int(10, 54);
            Int(14, 40);
            Int(18, width);
            Int(22, height);
            bytes[26] = 1;
            bytes[28] = 24;
            Int(34, row * height);
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var at = 54 + y * row + x * 3;
                    (bytes[at], bytes[at + 1], bytes[at + 2]) = ((byte)(x * 255 / width), (byte)(y * 255 / height), 140);
                }
            }
            return bytes;
        }

        public override async Task DisposeAsync()
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
            await base.DisposeAsync();
        }
    }

    /// <summary>Loads a shop page, does what <paramref name="act"/> does, reads the page's own measurements, then leaves it (the snippet sends).</summary>
    private readonly List<string> console = [];

    private async Task<JsonElement> LoadAsync(string path, Func<IPage, Task>? act = null)
    {
        var page = await chromium.NewPageAsync();
        page.Console += (_, message) => console.Add($"{path} {message.Type}: {message.Text}");
        page.RequestFailed += (_, request) => console.Add($"{path} failed: {request.Url} {request.Failure}");
        await page.GotoAsync(shop.Origin + path, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        // The snippet is a module that imports web-vitals: it has run once web-vitals' module is in the page.
        await page.WaitForFunctionAsync("() => performance.getEntriesByType('resource').some((entry) => entry.name.includes('web-vitals'))");
        await page.WaitForTimeoutAsync(300);
        if (act is not null)
        {
            await act(page);
        }
        var perf = await page.EvaluateAsync<JsonElement>("""
            ({ ...window.perf, navigation: performance.getEntriesByType("navigation")[0].toJSON(),
               resources: performance.getEntriesByType("resource").map((entry) => entry.toJSON()) })
            """);
        await page.GotoAsync("about:blank"); // hidden and unloaded: the snippet flushes with sendBeacon
        await page.Context.CloseAsync();
        return perf;
    }

    private async Task<List<(string Metric, double Value, string Page, string? NavigationType, JsonElement Attribution)>> EventsAsync(string app, string page, params string[] metrics)
    {
        await using var connection = new NpgsqlConnection(shop.Database.ConnectionString);
        for (var waited = 0; ; waited++)
        {
            var rows = (await connection.QueryAsync<(string Metric, double Value, string Page, string? NavigationType, string? Attribution)>(
                "SELECT metric, value, page, navigation_type, attribution FROM vitals_events WHERE app = @app AND page = @page ORDER BY metric",
                new { app, page })).ToList();
            if (metrics.All(metric => rows.Any(row => row.Metric == metric)) || waited == 60)
            {
                Assert.True(metrics.All(metric => rows.Any(row => row.Metric == metric)),
                    $"{page}: {string.Join(", ", rows.Select(row => row.Metric))} arrived; waited for {string.Join(", ", metrics)}; browser: {string.Join(" | ", console)}");
                return rows.Select(row => (row.Metric, row.Value, row.Page, row.NavigationType, JsonDocument.Parse(row.Attribution ?? "{}").RootElement)).ToList();
            }
            await Task.Delay(500);
        }
    }

    private static double Number(JsonElement element, string name) => element.GetProperty(name).GetDouble();

    private static void Near(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1, $"{what}: stored {actual} ms, Chromium's Performance API {expected} ms");

    [Fact]
    public async Task SlowFirstByte_TtfbAndItsServerTiming_AsChromiumReportsThem_AndThePageShows123MsBesideTtfb()
    {
        var perf = await LoadAsync("/slow-ttfb");

        var navigation = perf.GetProperty("navigation");
        var events = await EventsAsync("shop", "/slow-ttfb", "TTFB", "LCP");
        var ttfb = events.Single(row => row.Metric == "TTFB");
        Near(Number(navigation, "responseStart"), ttfb.Value, "TTFB");
        Assert.True(ttfb.Value >= 600, $"the server waited 600 ms; TTFB {ttfb.Value}");
        var timings = ttfb.Attribution.GetProperty("serverTiming").EnumerateArray().ToList();
        Assert.Equal(navigation.GetProperty("serverTiming").EnumerateArray().Select(entry => (entry.GetProperty("name").GetString(), entry.GetProperty("duration").GetDouble())),
            timings.Select(entry => (entry.GetProperty("name").GetString(), entry.TryGetProperty("dur", out var dur) ? dur.GetDouble() : 0)));
        Assert.Equal(123, Number(timings[0], "dur"));
        // The LCP (the heading) waited for the same first byte: its first part is the TTFB.
        Near(Number(navigation, "responseStart"), Number(events.Single(row => row.Metric == "LCP").Attribution, "timeToFirstByte"), "LCP's time to first byte");
        Assert.Equal("Time to first byte", VitalsDiagnosis.LcpParts.MaxBy(part => Number(events.Single(row => row.Metric == "LCP").Attribution, part.Field))!.Label);

        var portal = await chromium.OpenAsync(shop.App, PortalRoles.Viewer, "/vitals/page?app=shop&path=%2Fslow-ttfb&metric=TTFB&range=1h");
        var db = portal.Locator("[data-testid=server-timing] tr[data-name=db]");
        await Expect(db.GetByTestId("server-timing-p75")).ToHaveTextAsync("123 ms");
        await Expect(db).ToContainTextAsync(Portal.Components.Durations.Milliseconds(ttfb.Value)); // beside its TTFB (one page load: its own)
        await Expect(db).ToContainTextAsync(Portal.Components.Figures.Percent(123 / ttfb.Value)); // the database's share of it
        await Expect(db.GetByRole(AriaRole.Link, new() { Name = "statement →" })).ToHaveAttributeAsync("href", "/queries/4711?target=portal");
        await Expect(portal.GetByTestId("lcp-breakdown-sentence")).ToContainTextAsync("LCP of /slow-ttfb: ");
        await Expect(portal.GetByTestId("lcp-breakdown-sentence")).ToContainTextAsync("is time to first byte");
        await Chromium.ScreenshotAsync(portal, "vitals-diagnostics-ttfb", fullPage: true);
    }

    [Fact]
    public async Task UnpreloadedLargeImage_LcpSubparts_AsChromiumReportsThem_LoadDurationDominates()
    {
        var perf = await LoadAsync("/big-image");

        var navigation = perf.GetProperty("navigation");
        var lcpEntry = perf.GetProperty("lcp").EnumerateArray().Last();
        var image = perf.GetProperty("resources").EnumerateArray().Single(entry => entry.GetProperty("name").GetString()!.EndsWith("/hero.bmp", StringComparison.Ordinal));
        var lcp = (await EventsAsync("shop", "/big-image", "LCP")).Single(row => row.Metric == "LCP");

        // web-vitals' definitions over the page's own entries: TTFB, request start, response end, the LCP's paint.
        var ttfb = Number(navigation, "responseStart");
        var requestStart = Math.Max(ttfb, image.GetProperty("requestStart").GetDouble() is > 0 and var start ? start : Number(image, "startTime"));
        var responseEnd = Math.Min(Number(lcpEntry, "startTime"), Math.Max(requestStart, Number(image, "responseEnd")));
        Near(Number(lcpEntry, "startTime"), lcp.Value, "LCP");
        Assert.EndsWith("/hero.bmp", lcp.Attribution.GetProperty("url").GetString());
        Near(ttfb, Number(lcp.Attribution, "timeToFirstByte"), "time to first byte");
        Near(requestStart - ttfb, Number(lcp.Attribution, "resourceLoadDelay"), "resource load delay");
        Near(responseEnd - requestStart, Number(lcp.Attribution, "resourceLoadDuration"), "resource load duration");
        Near(Number(lcpEntry, "startTime") - responseEnd, Number(lcp.Attribution, "elementRenderDelay"), "element render delay");
        Assert.True(Number(lcp.Attribution, "resourceLoadDuration") >= 500, "26 chunks 30 ms apart");

        var portal = await chromium.OpenAsync(shop.App, PortalRoles.Viewer, "/vitals/page?app=shop&path=%2Fbig-image&metric=LCP&range=1h");
        await Expect(portal.GetByTestId("lcp-breakdown-sentence")).ToContainTextAsync("LCP of /big-image: ");
        await Expect(portal.GetByTestId("lcp-breakdown-sentence")).ToContainTextAsync("is resource load duration of " + lcp.Attribution.GetProperty("url").GetString());
        await Expect(portal.Locator("[data-testid=lcp-breakdown] tr[data-part=resourceLoadDuration] [data-testid=part-ms]"))
            .ToHaveTextAsync(Portal.Components.Durations.Milliseconds(Number(lcp.Attribution, "resourceLoadDuration")));
        await Chromium.ScreenshotAsync(portal, "vitals-diagnostics-lcp", fullPage: true);
    }

    [Fact]
    public async Task BusyClickHandler_InpPhases_AsChromiumReportsThem_AndTheNamedFunctionIsTheLongFramesScript()
    {
        var perf = await LoadAsync("/busy-click", async page =>
        {
            await page.ClickAsync("#buy");
            await Expect(page.Locator("#buy")).ToHaveTextAsync("Bought");
            await page.WaitForTimeoutAsync(500);
        });

        // The interaction's event entries (pointerdown … click share its id), and web-vitals' phases over them.
        var entries = perf.GetProperty("event").EnumerateArray().Where(entry => entry.GetProperty("interactionId").GetDouble() > 0).ToList();
        var longest = entries.MaxBy(entry => Number(entry, "duration"));
        var interaction = entries.Where(entry => entry.GetProperty("interactionId").GetDouble() == longest.GetProperty("interactionId").GetDouble()).ToList();
        var first = interaction.First();
        // The frame: every event entry presented with it (the mouse's move and over events too), as web-vitals sees
        // them (at least 40 ms long, its observer's threshold).
        var frame = perf.GetProperty("event").EnumerateArray().Where(entry => Number(entry, "duration") >= 40).Where(entry => Math.Abs(Number(entry, "startTime") + Number(entry, "duration") - (Number(first, "startTime") + Number(first, "duration"))) <= 8).ToList();
        var processingStart = Math.Max(frame.Min(entry => Number(entry, "processingStart")), Number(first, "startTime"));
        var nextPaint = Math.Max(Number(first, "startTime") + Number(first, "duration"), processingStart);
        var processingEnd = Math.Min(frame.Max(entry => Number(entry, "processingEnd")), nextPaint);

        var inp = (await EventsAsync("shop", "/busy-click", "INP")).Single(row => row.Metric == "INP");
        Near(interaction.Max(entry => Number(entry, "duration")), inp.Value, "INP");
        Near(processingStart - Number(first, "startTime"), Number(inp.Attribution, "inputDelay"), "input delay");
        Near(processingEnd - processingStart, Number(inp.Attribution, "processingDuration"), "processing duration");
        Near(nextPaint - processingEnd, Number(inp.Attribution, "presentationDelay"), "presentation delay");
        Assert.True(Number(inp.Attribution, "processingDuration") >= 300, "the handler ran 300 ms");
        Assert.Equal(("#buy", "pointer"), (inp.Attribution.GetProperty("target").GetString(), inp.Attribution.GetProperty("type").GetString()));

        // The long animation frame's script is the named function, as Chromium's own LoAF entry names it.
        var loafScript = perf.GetProperty("loaf").EnumerateArray().SelectMany(frame => frame.GetProperty("scripts").EnumerateArray())
            .Single(script => script.GetProperty("sourceFunctionName").GetString() == "slowHandler");
        var stored = inp.Attribution.GetProperty("scripts")[0];
        Assert.Equal(("slowHandler", loafScript.GetProperty("sourceURL").GetString(), loafScript.GetProperty("invoker").GetString()),
            (stored.GetProperty("fn").GetString(), stored.GetProperty("url").GetString(), stored.GetProperty("invoker").GetString()));
        Near(Number(loafScript, "duration"), Number(stored, "duration"), "the script's duration");
        Assert.EndsWith("/app.js", stored.GetProperty("url").GetString());

        var portal = await chromium.OpenAsync(shop.App, PortalRoles.Viewer, "/vitals/page?app=shop&path=%2Fbusy-click&metric=INP&range=1h");
        await Expect(portal.GetByTestId("inp-breakdown-sentence")).ToContainTextAsync("INP of /busy-click: ");
        await Expect(portal.GetByTestId("inp-breakdown-sentence")).ToContainTextAsync("is processing duration in slowHandler");
        await Expect(portal.GetByTestId("scripts")).ToContainTextAsync("slowHandler");
        await Expect(portal.GetByTestId("inp-breakdown")).ToContainTextAsync($"mostly pointer interactions while the page was {inp.Attribution.GetProperty("loadState").GetString()}");
        await Expect(portal.GetByTestId("targets")).ToContainTextAsync("#buy");
        await Chromium.ScreenshotAsync(portal, "vitals-diagnostics-inp", fullPage: true);
    }

    [Fact]
    public async Task SoftNavigation_IsItsOwnPageView_UnderTheRouteTheAppGaveIt()
    {
        var perf = await LoadAsync("/app", async page =>
        {
            await page.ClickAsync("#orders");
            await Expect(page.Locator("h1")).ToHaveTextAsync("Order 7");
            await page.WaitForTimeoutAsync(800);
        });
        Assert.Contains(perf.GetProperty("soft").EnumerateArray(), entry => entry.GetProperty("name").GetString()!.EndsWith("/app/orders/7", StringComparison.Ordinal)); // Chromium saw one

        var hard = await EventsAsync("spa", "/app", "FCP", "LCP", "TTFB");
        var soft = await EventsAsync("spa", "/app/orders/:id", "LCP");
        Assert.All(hard, row => Assert.Equal("navigate", row.NavigationType));
        Assert.All(soft, row => Assert.Equal("soft-navigation", row.NavigationType));
        // The click that navigated belongs to the first page's view; the soft navigation's LCP is the order's content.
        Assert.True(soft.Single(row => row.Metric == "LCP").Value > 0);
    }
}
