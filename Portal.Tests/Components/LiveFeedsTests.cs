using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Portal.Components.Live;

namespace Portal.Tests.Components;

public sealed class LiveFeedsTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly LiveFeeds feeds;
    private int reads;

    public LiveFeedsTests() => feeds = new LiveFeeds(new ServiceCollection().BuildServiceProvider(), time, NullLogger<LiveFeeds>.Instance, new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance));

    private Task<int> ReadAsync(IServiceProvider services, CancellationToken cancellationToken) => Task.FromResult(Interlocked.Increment(ref reads));

    private static LiveViewer InCircuit() => new() { InCircuit = true };

    [Fact]
    public async Task TwoPagesWithOneKey_WithinTheInterval_ShareOneRead_AnotherKeyReadsItsOwn()
    {
        using var first = feeds.Follow<int>(InCircuit(), () => Task.CompletedTask);
        using var second = feeds.Follow<int>(InCircuit(), () => Task.CompletedTask);
        using var other = feeds.Follow<int>(InCircuit(), () => Task.CompletedTask);

        await first.FollowAsync("page?a=1", TimeSpan.FromSeconds(5), ReadAsync);
        await second.FollowAsync("page?a=1", TimeSpan.FromSeconds(5), ReadAsync);
        Assert.Equal(1, reads);
        Assert.Equal(1, second.Current!.Value);
        Assert.Equal((1, 2, 2), feeds.Describe("page?a=1"));

        await other.FollowAsync("page?a=2", TimeSpan.FromSeconds(5), ReadAsync);
        Assert.Equal(2, reads);
        Assert.Equal((1, 1, 1), feeds.Describe("page?a=2"));
    }

    [Fact]
    public async Task ReadThatChangesNothing_TellsNobody_AChangeTellsEveryActiveFollowerOnce()
    {
        var value = 7;
        var told = 0;
        var viewer = InCircuit();
        using var page = feeds.Follow<int>(viewer, () => { Interlocked.Increment(ref told); return Task.CompletedTask; });
        await page.FollowAsync("same", TimeSpan.FromSeconds(5), (_, _) => Task.FromResult(value));

        await page.RefreshAsync();
        Assert.Equal(0, told);

        using var other = feeds.Follow<int>(InCircuit(), () => Task.CompletedTask);
        await other.FollowAsync("same", TimeSpan.FromSeconds(5), (_, _) => Task.FromResult(value));
        value = 8;
        await other.RefreshAsync(); // the other page's action: this page is told
        Assert.Equal(1, told);
        Assert.Equal(8, page.Current!.Value);

        viewer.SetVisible(false);
        value = 9;
        await other.RefreshAsync();
        Assert.Equal(1, told); // hidden: nothing rendered
        viewer.SetVisible(true); // back: catches up at once
        Assert.Equal(2, told);
        Assert.Equal(9, page.Current!.Value);
    }

    [Fact]
    public async Task ViewerWhoseConnectionDropped_IsNotDeliveredTo_AndAloneStopsTheReads()
    {
        var viewer = InCircuit();
        var told = 0;
        using var page = feeds.Follow<int>(viewer, () => { Interlocked.Increment(ref told); return Task.CompletedTask; });
        await page.FollowAsync("dropped", TimeSpan.FromSeconds(5), ReadAsync);
        Assert.Equal((1, 1, 1), feeds.Describe("dropped"));

        viewer.Connected = false; // the circuit's CircuitHandler saw the connection go down
        Assert.Equal((1, 1, 0), feeds.Describe("dropped"));
        for (var tick = 0; tick < 3; tick++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(50); // the feed's poll, if any, runs
        }
        Assert.Equal(1, feeds.Describe("dropped").Reads);
        Assert.Equal(0, told);

        viewer.Connected = true; // reconnected: the feed reads again at its next interval and delivers
        await Eventually(() => feeds.Describe("dropped").Reads > 1);
        // The viewer is told after the read, on the feed's own task: wait for it without advancing the clock.
        for (var waited = 0; waited < 250 && Volatile.Read(ref told) == 0; waited++)
        {
            await Task.Delay(20);
        }
        Assert.Equal(1, told);
    }

    private async Task Eventually(Func<bool> condition)
    {
        for (var attempt = 0; attempt < 100 && !condition(); attempt++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }
        Assert.True(condition());
    }

    [Fact]
    public async Task FeedsNobodyFollows_AreDroppedAMinuteAfterTheirLastRead_FollowedOnesStay()
    {
        using var followed = feeds.Follow<int>(InCircuit(), () => Task.CompletedTask);
        await followed.FollowAsync("followed", TimeSpan.FromSeconds(5), ReadAsync);
        foreach (var search in Enumerable.Range(0, 20))
        {
            // A prerendered page (no circuit) reads without following, as each typed search text would.
            using var prerendered = feeds.Follow<int>(new LiveViewer(), () => Task.CompletedTask);
            await prerendered.FollowAsync($"history?q={search}", TimeSpan.FromSeconds(5), ReadAsync);
        }
        Assert.Equal(21, feeds.Count);

        time.Advance(TimeSpan.FromMinutes(2));
        using var later = feeds.Follow<int>(InCircuit(), () => Task.CompletedTask);
        await later.FollowAsync("followed", TimeSpan.FromSeconds(5), ReadAsync);

        Assert.Equal(1, feeds.Count);
        Assert.Equal(2, feeds.Describe("followed").Followers);
    }
}
