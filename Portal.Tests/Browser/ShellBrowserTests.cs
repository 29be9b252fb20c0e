using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

/// <summary>
/// The frame (Components/Layout/Shell.razor: app bar, drawer, theme) is drawn by the server and kept as it is by the
/// circuit, whose first render builds the page off the document (wwwroot/js/shell.js).
/// </summary>
public sealed partial class ShellBrowserTests(RunningPortalFixture fixture, Chromium chromium)
    : IClassFixture<RunningPortalFixture>, IClassFixture<Chromium>
{
    [Fact]
    public async Task CircuitsFirstRender_BuildsThePageOffTheDocumentAndAttachesItOnce_KeepingTheServersFrame()
    {
        var page = await chromium.OpenAsync(fixture.Running.Portal);
        await page.AddInitScriptAsync("""
            document.addEventListener("DOMContentLoaded", () => {
              const page = document.getElementById("page");
              window.portalFrame = { page, drawer: document.getElementById("drawer"), header: document.querySelector("header"), detached: 0, reattached: 0 };
              new MutationObserver(records => records.forEach(record => {
                if ([...record.removedNodes].includes(page)) window.portalFrame.detached++;
                if ([...record.addedNodes].includes(page)) window.portalFrame.reattached++;
              })).observe(page.parentNode, { childList: true });
            });
            """);

        await page.GotoAsync(new Uri(fixture.Running.Portal.BaseAddress, "/jobs").ToString());
        await Chromium.WaitForCircuitAsync(page);

        await Expect(page.Locator("#page [data-testid=catalogue] tbody tr")).Not.ToHaveCountAsync(0);
        var frame = await page.EvaluateAsync<int[]>("""
            [window.portalFrame.detached, window.portalFrame.reattached,
             document.getElementById("page") === window.portalFrame.page ? 1 : 0,
             document.getElementById("page").isConnected ? 1 : 0,
             document.getElementById("drawer") === window.portalFrame.drawer && document.querySelector("header") === window.portalFrame.header ? 1 : 0,
             document.querySelectorAll("#page [data-interactive=true]").length]
            """);
        Assert.Equal([1, 1, 1, 1, 1, 1], frame);
    }

    [Fact]
    public async Task Drawer_LinkFollowedBeforeTheBrowserModuleLoaded_MarkedOnceItHas()
    {
        var page = await chromium.OpenAsync(fixture.Running.Portal, path: "/jobs");
        // The next load's browser.js (the module that moves the mark) is held back until the link has been followed.
        var held = new TaskCompletionSource();
        await page.RouteAsync("**/js/browser.js*", async route =>
        {
            await held.Task;
            await route.ContinueAsync();
        });
        await page.GotoAsync(new Uri(fixture.Running.Portal.BaseAddress, "/jobs").ToString());
        await Chromium.WaitForCircuitAsync(page);
        var drawer = page.Locator("#drawer");
        await drawer.GetByRole(AriaRole.Link, new() { Name = "Alerts", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Alerts");
        Assert.Equal("/jobs", await drawer.Locator("a[aria-current=page]").GetAttributeAsync("href")); // the server's mark, still

        held.SetResult();
        await Expect(drawer.Locator("a[aria-current=page]")).ToHaveAttributeAsync("href", "/alerts");
        await Expect(drawer.Locator("a.active")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Drawer_FollowsInPageNavigation_AndOpensAndClosesWideAndNarrow()
    {
        var page = await chromium.OpenAsync(fixture.Running.Portal, path: "/jobs");
        var drawer = page.Locator("#drawer");
        await Expect(drawer.Locator("a[aria-current=page]")).ToHaveAttributeAsync("href", "/jobs");

        // A drawer link navigates inside the circuit (no new document), and the mark moves with it.
        await page.EvaluateAsync("window.portalSameDocument = true");
        await drawer.GetByRole(AriaRole.Link, new() { Name = "Alerts", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Alerts");
        await Expect(drawer.Locator("a[aria-current=page]")).ToHaveAttributeAsync("href", "/alerts");
        await Expect(drawer.Locator("a.active")).ToHaveCountAsync(1);
        Assert.True(await page.EvaluateAsync<bool>("window.portalSameDocument === true"));

        // Wide: the drawer sits beside the page and folds away, giving the page its width.
        var main = page.Locator(".mud-main-content");
        Assert.NotEqual("0px", await main.EvaluateAsync<string>("element => getComputedStyle(element).marginLeft"));
        await page.ClickAsync("#drawer-toggle");
        await Expect(drawer).ToHaveClassAsync(DrawerClosed());
        await Expect(page.Locator("#drawer-toggle")).ToHaveAttributeAsync("aria-expanded", "false");
        await Expect(drawer).Not.ToBeInViewportAsync();
        Assert.Equal("0px", await main.EvaluateAsync<string>("element => getComputedStyle(element).marginLeft"));
        await page.ClickAsync("#drawer-toggle");
        await Expect(drawer).ToBeInViewportAsync();

        // Narrow: hidden until asked for, a sheet over the page, put away once a link is chosen.
        await page.SetViewportSizeAsync(412, 823);
        await page.ReloadAsync();
        await Chromium.WaitForCircuitAsync(page);
        await Expect(drawer).Not.ToBeInViewportAsync();
        await Expect(page.Locator("#drawer-toggle")).ToHaveAttributeAsync("aria-expanded", "false");
        await page.ClickAsync("#drawer-toggle");
        await Expect(drawer).ToBeInViewportAsync();
        await drawer.GetByRole(AriaRole.Link, new() { Name = "Queries", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Queries");
        await Expect(drawer).Not.ToBeInViewportAsync();
    }

    [Fact]
    public async Task BrowserPreferringDark_WithoutAChoice_IsShownAndRememberedDark()
    {
        var page = await chromium.OpenAsync(fixture.Running.Portal);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), cookie => cookie.Name == "portal-theme");

        await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Dark });
        await page.ReloadAsync();

        await Expect(page.Locator("#theme-toggle")).ToHaveAttributeAsync("aria-label", "Switch to light theme");
        Assert.Contains(await page.Context.CookiesAsync(), cookie => cookie is { Name: "portal-theme", Value: "dark" });
        var served = await page.Context.APIRequest.GetAsync(new Uri(fixture.Running.Portal.BaseAddress, "/jobs").ToString());
        Assert.Contains("--mud-native-html-color-scheme: dark", await served.TextAsync(), StringComparison.Ordinal);
    }

    [GeneratedRegex("mud-drawer--closed")]
    private static partial Regex DrawerClosed();
}
