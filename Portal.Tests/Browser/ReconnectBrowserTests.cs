using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

public sealed class ReconnectBrowserTests(Chromium chromium) : IClassFixture<Chromium>
{
    [Fact]
    public async Task ServerGoesAway_PageShowsThePortalsReconnectOverlay()
    {
        var running = await RunningPortal.StartAsync();
        var page = await chromium.OpenAsync(running.Portal);
        var overlay = page.Locator("#components-reconnect-modal");
        await Expect(overlay).ToBeHiddenAsync();

        await running.DisposeAsync();

        await Expect(overlay).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Expect(overlay).ToContainTextAsync("Connection lost — reconnecting…");
        // Drawn by our overlay, not Blazor's default grey box.
        await Expect(page.Locator("#components-reconnect-modal .portal-reconnect-card")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(page, "reconnect");
    }
}
