using Microsoft.Playwright;

namespace Portal.Tests.Infrastructure;

/// <summary>Debian's Chromium driven by Playwright (its own browser download cannot work here); a class fixture.</summary>
public sealed class Chromium : IAsyncLifetime
{
    private IPlaywright? playwright;
    private IBrowser? browser;

    public async Task InitializeAsync()
    {
        // Expect(…) waits up to 15 s instead of 5: pages render on a machine running four test classes at once.
        Assertions.SetDefaultExpectTimeout(15_000);
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            // The machine has no network: keep Chromium from trying to reach Google's services.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A fresh browser context (its own cookies) and page, in UTC or the given IANA time zone.</summary>
    public async Task<IPage> NewPageAsync(string? timeZoneId = null)
    {
        var context = await browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 }, TimezoneId = timeZoneId });
        return await context.NewPageAsync();
    }

    /// <summary>Signs in as a new user of <paramref name="role"/> through the login page, opens <paramref name="path"/> and waits for the circuit.</summary>
    public async Task<IPage> OpenAsync(PortalApp portal, string role = Portal.Features.Auth.PortalRoles.Admin, string path = "/", string? timeZoneId = null)
    {
        var account = await portal.CreateAsync(role);
        var page = await NewPageAsync(timeZoneId);
        await page.GotoAsync(new Uri(portal.BaseAddress, $"/login?ReturnUrl={Uri.EscapeDataString(path)}").ToString());
        await page.FillAsync("#login", account.Login);
        await page.FillAsync("#password", account.Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(new Uri(portal.BaseAddress, path).ToString());
        await WaitForCircuitAsync(page);
        return page;
    }

    /// <summary>Saves a screenshot into $PORTAL_TEST_SCREENSHOTS when set, for a person to look at what the tests saw.</summary>
    public static async Task ScreenshotAsync(IPage page, string name, bool fullPage = false)
    {
        if (Environment.GetEnvironmentVariable("PORTAL_TEST_SCREENSHOTS") is { Length: > 0 } folder)
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = fullPage });
        }
    }

    /// <summary>From the page's next load on, records the text of every node the document shows, however briefly.</summary>
    public static Task RecordShownTextAsync(IPage page) => page.AddInitScriptAsync("""
        window.portalShown = [];
        new MutationObserver(records => records.forEach(record => record.addedNodes.forEach(node => window.portalShown.push(node.textContent ?? ''))))
            .observe(document, { childList: true, subtree: true });
        """);

    /// <summary>What <see cref="RecordShownTextAsync"/> recorded.</summary>
    public static Task<string[]> ShownTextAsync(IPage page) => page.EvaluateAsync<string[]>("window.portalShown");

    public static Task WaitForCircuitAsync(IPage page) =>
        page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });

    public async Task DisposeAsync()
    {
        if (browser is not null) await browser.DisposeAsync();
        playwright?.Dispose();
    }
}
