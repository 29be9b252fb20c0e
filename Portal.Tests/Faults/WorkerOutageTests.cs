using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Faults;

public sealed class WorkerOutageTests : IAsyncLifetime
{
    private RunningPortal running = null!;
    private Chromium chromium = null!;

    public async Task InitializeAsync()
    {
        running = await RunningPortal.StartAsync();
        chromium = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await chromium.DisposeAsync();
        await running.DisposeAsync();
    }

    [Fact]
    public async Task WorkerStopped_OverviewShowsItStale()
    {
        var page = await chromium.OpenAsync(running.Portal.BaseAddress);
        var worker = page.Locator("[data-dependency=worker]");
        await Expect(worker.Locator("[data-status]")).ToHaveAttributeAsync("data-status", "healthy", new() { Timeout = 20_000 });

        await running.Worker.StopAsync();

        // Stale after Worker:StaleAfterSeconds (4 s in tests) plus one probe.
        await Expect(worker.Locator("[data-status]")).ToHaveAttributeAsync("data-status", "degraded", new() { Timeout = 15_000 });
        await Expect(worker.Locator(".dependency-description")).ToContainTextAsync("Stale: last heartbeat");
        using var http = running.Portal.CreateHttpClient();
        var readiness = await Readiness.GetAsync(http);
        Assert.Equal("degraded", readiness.StatusOf("worker"));
        Assert.StartsWith("Stale: last heartbeat", readiness.DescriptionOf("worker"), StringComparison.Ordinal);
    }
}
