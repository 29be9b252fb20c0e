using Dapper;
using Npgsql;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Faults;

public sealed class WorkerOutageTests(Chromium chromium) : IClassFixture<Chromium>
{
    [Fact]
    public async Task WorkerStoppedCleanly_OverviewShowsNoWorkerRunning()
    {
        await using var running = await RunningPortal.StartAsync();
        var page = await chromium.OpenAsync(running.Portal);
        await using var browser = page.Context; // closed before the portal stops: an open circuit holds its stop for 30 s
        var worker = page.Locator("[data-dependency=worker]");
        await Expect(worker.Locator("[data-status]")).ToHaveAttributeAsync("data-status", "healthy", new() { Timeout = 20_000 });

        await running.Worker.StopAsync();

        await Expect(worker.Locator("[data-status]")).ToHaveAttributeAsync("data-status", "degraded", new() { Timeout = 10_000 });
        await Expect(worker.Locator(".dependency-description")).ToContainTextAsync("Stopped: no worker running");
        await Expect(page.Locator("[data-testid=workers] tbody tr").First).ToContainTextAsync("Stopped");
    }

    [Fact]
    public async Task WorkerKilled_OverviewShowsItStaleAfterStaleAfterSeconds()
    {
        await using var database = await TestDatabase.CreateAsync();
        var settings = PortalSettings.For(database);
        await using var process = PortalProcess.StartWorker(settings);
        await using var data = new NpgsqlConnection(database.ConnectionString);
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                return await data.ExecuteScalarAsync<int>("SELECT count(*) FROM worker_heartbeats WHERE beat_at > now() - interval '2 seconds'") > 0;
            }
            catch (PostgresException)
            {
                return false; // the worker has not created the table yet
            }
        }, TimeSpan.FromSeconds(30), "the Portal.Jobs process beats");
        await using var portal = new PortalApp(settings).Start();
        var page = await chromium.OpenAsync(portal);
        await using var browser = page.Context; // closed before the portal stops: an open circuit holds its stop for 30 s
        var worker = page.Locator("[data-dependency=worker]");
        await Expect(worker.Locator("[data-status]")).ToHaveAttributeAsync("data-status", "healthy", new() { Timeout = 10_000 });

        await process.KillAsync();

        // Worker:StaleAfterSeconds is 4 in tests, plus one probe.
        await Expect(worker.Locator("[data-status]")).ToHaveAttributeAsync("data-status", "degraded", new() { Timeout = 15_000 });
        await Expect(worker.Locator(".dependency-description")).ToContainTextAsync("Stale: last heartbeat");
        await Expect(page.Locator("[data-testid=workers] tbody tr").First).ToContainTextAsync("Stale");
        using var http = portal.CreateHttpClient();
        var readiness = await Readiness.GetAsync(http);
        Assert.Equal(200, readiness.StatusCode);
        Assert.Equal("degraded", readiness.StatusOf("worker"));
        Assert.StartsWith("Stale: last heartbeat", readiness.DescriptionOf("worker"), StringComparison.Ordinal);
    }
}
