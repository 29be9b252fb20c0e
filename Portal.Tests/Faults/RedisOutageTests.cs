using Portal.Features.Auth;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Faults;

public sealed class RedisOutageTests(Chromium chromium) : IClassFixture<Chromium>
{
    [Fact]
    public async Task RedisStopped_OverviewShowsDegradedWithin10sAndRecoversWhenItReturns()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var running = await RunningPortal.StartAsync(redis.ConnectionString);
        using var http = await running.Portal.SignedInClientAsync(PortalRoles.Developer);
        var page = await chromium.OpenAsync(running.Portal);
        await using var browser = page.Context; // closed before the portal stops: an open circuit holds its stop for 30 s
        var redisStatus = page.Locator("[data-dependency=redis] [data-status]");
        await Expect(redisStatus).ToHaveAttributeAsync("data-status", "healthy", new() { Timeout = 10_000 });

        await redis.StopAsync();

        await Expect(redisStatus).ToHaveAttributeAsync("data-status", "degraded", new() { Timeout = 10_000 });
        await Expect(page.Locator("[data-dependency=redis] .last-error")).ToBeVisibleAsync();
        var readiness = await Readiness.GetAsync(http);
        Assert.Equal(200, readiness.StatusCode);
        Assert.Equal("degraded", readiness.Status);
        Assert.Equal("degraded", readiness.StatusOf("redis"));
        Assert.Equal("healthy", readiness.StatusOf("postgresql"));
        // Other pages keep working while Redis is away.
        Assert.True((await http.GetAsync(new Uri("/queries", UriKind.Relative))).IsSuccessStatusCode);
        Assert.True((await http.GetAsync(new Uri("/", UriKind.Relative))).IsSuccessStatusCode);

        await redis.RestartAsync();

        await Expect(redisStatus).ToHaveAttributeAsync("data-status", "healthy", new() { Timeout = 20_000 });
        Assert.Equal("healthy", (await Readiness.GetAsync(http)).StatusOf("redis"));
    }
}
