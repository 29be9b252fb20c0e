using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

public sealed partial class OverviewBrowserTests(RunningPortalFixture fixture, Chromium chromium)
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

    [Fact]
    public async Task TimeZone_RememberedFromTheFirstPage_NextPageIsServedInLocalTimeBeforeItsCircuit()
    {
        var page = await chromium.OpenAsync(fixture.Running.Portal, timeZoneId: "Asia/Tokyo");
        await Expect(page.Locator("[data-testid=workers] tbody tr")).Not.ToHaveCountAsync(0, new() { Timeout = 20_000 });
        // The layout asks the browser for its zone once the circuit has rendered, and the browser remembers it.
        await Eventually.HoldsAsync(async () => (await page.Context.CookiesAsync()).Any(cookie =>
            cookie is { Name: "portal-tz" } && Uri.UnescapeDataString(cookie.Value) == "Asia/Tokyo"), TimeSpan.FromSeconds(10), "the portal-tz cookie");

        // The server's own render of the next page (before any script runs) already says Tokyo's time, not UTC's.
        var response = await page.ReloadAsync(new PageReloadOptions { WaitUntil = WaitUntilState.Commit });
        var times = LocalTimes().Matches(await response!.TextAsync());
        Assert.NotEmpty(times);
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
        Assert.All(times, time => Assert.Equal(
            TimeZoneInfo.ConvertTime(DateTimeOffset.Parse(time.Groups[1].Value, CultureInfo.InvariantCulture), tokyo).ToString("HH:mm:ss", CultureInfo.InvariantCulture),
            time.Groups[2].Value));
    }

    [Fact]
    public async Task TimeZone_BrowserInAnotherZoneThanRemembered_CookieFollowsTheBrowser()
    {
        var page = await chromium.OpenAsync(fixture.Running.Portal, timeZoneId: "America/New_York");
        // Remembered from elsewhere (a traveller): the page keeps it, and the browser corrects it when idle.
        await page.Context.AddCookiesAsync([new() { Name = "portal-tz", Value = Uri.EscapeDataString("Asia/Tokyo"), Url = fixture.Running.Portal.BaseAddress.ToString() }]);
        await page.ReloadAsync();
        await Chromium.WaitForCircuitAsync(page);
        await Eventually.HoldsAsync(async () => (await page.Context.CookiesAsync()).Any(cookie =>
            cookie is { Name: "portal-tz" } && Uri.UnescapeDataString(cookie.Value) == "America/New_York"), TimeSpan.FromSeconds(10), "the portal-tz cookie of the browser's zone");
    }

    // LocalTime's markup in its default format (HH:mm:ss), e.g. the workers' last heartbeats.
    [GeneratedRegex("<time datetime=\"([^\"]+)\"[^>]*>(\\d\\d:\\d\\d:\\d\\d)</time>")]
    private static partial Regex LocalTimes();
}
