using Microsoft.Playwright;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

public sealed class OverviewBrowserTests(RunningPortalFixture fixture, Chromium chromium)
    : IClassFixture<RunningPortalFixture>, IClassFixture<Chromium>
{
    [Fact]
    public async Task Overview_Opened_ConnectsCircuitAndShowsEveryDependencyHealthyLive()
    {
        var page = await chromium.OpenAsync(fixture.Running.Portal);

        await Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        // The worker's first heartbeat arrives after the page opened: the card turns healthy over the circuit.
        foreach (var dependency in new[] { "postgresql", "redis", "prometheus", "worker" })
        {
            await Expect(page.Locator($"[data-dependency={dependency}] [data-status]"))
                .ToHaveAttributeAsync("data-status", "healthy", new() { Timeout = 20_000 });
        }
        await Expect(page.Locator("[data-testid=workers] tbody tr")).Not.ToHaveCountAsync(0);
    }

    [Fact]
    public async Task ThemeToggle_Clicked_SwitchesToDarkAndRemembersItAcrossReloads()
    {
        var page = await chromium.OpenAsync(fixture.Running.Portal);
        var background = () => page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");
        var light = await background();

        await page.ClickAsync("#theme-toggle");

        await Expect(page.Locator("#theme-toggle")).ToHaveAttributeAsync("aria-label", "Switch to light theme");
        Assert.NotEqual(light, await background());
        var cookies = await page.Context.CookiesAsync();
        Assert.Contains(cookies, cookie => cookie is { Name: "portal-theme", Value: "dark" });

        // The server renders the remembered theme before the circuit connects: no flash of light.
        var response = await page.ReloadAsync(new PageReloadOptions { WaitUntil = WaitUntilState.Commit });
        Assert.Contains("--mud-native-html-color-scheme: dark", await response!.TextAsync(), StringComparison.Ordinal);
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.Locator("#theme-toggle")).ToHaveAttributeAsync("aria-label", "Switch to light theme");
    }

    [Fact]
    public async Task Navigation_Reports_ShowsItsArchiveInsideTheShell()
    {
        var page = await chromium.OpenAsync(fixture.Running.Portal);

        await page.GetByRole(AriaRole.Link, new() { Name = "Reports" }).ClickAsync();

        await Expect(page.Locator("h1")).ToHaveTextAsync("Reports");
        await Expect(page.GetByTestId("archive")).ToContainTextAsync("No report yet");
        Assert.EndsWith("/reports", page.Url, StringComparison.Ordinal);
    }
}
