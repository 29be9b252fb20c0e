using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Cache;
using Portal.Tests.Infrastructure;
using StackExchange.Redis;

namespace Portal.Tests.Features.Cache;

public sealed class PortalCacheTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await database.DisposeAsync();

    private PortalApp Start(string? redis = null, TestDatabase? on = null)
    {
        var settings = PortalSettings.For(on ?? database, redis);
        settings["Cache:Categories:test-short:TtlSeconds"] = "1";
        settings["Cache:Categories:test-persist:TtlSeconds"] = "300";
        settings["Cache:Categories:test-persist:Persist"] = "true";
        settings["Cache:CleanupBatchSize"] = "2";
        return new PortalApp(settings).Start();
    }

    private static PortalCache CacheOf(PortalApp portal) => portal.Services.GetRequiredService<PortalCache>();

    private static CacheCategoryStatistics StatisticsOf(PortalApp portal, string category) =>
        portal.Services.GetRequiredService<CacheStatistics>().Snapshot().Single(entry => entry.Category == category);

    [Fact]
    public async Task GetOrCreate_100ConcurrentCallersForOneKey_ComputeOnce()
    {
        await using var portal = Start();
        var computed = 0;
        var key = Guid.NewGuid();

        var values = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(async () =>
            (await CacheOf(portal).GetOrCreateAsync("test-short", new { key }, async token =>
            {
                Interlocked.Increment(ref computed);
                await Task.Delay(300, token);
                return 42;
            })).Value)));

        Assert.Equal(1, computed);
        Assert.All(values, value => Assert.Equal(42, value));
        var statistics = StatisticsOf(portal, "test-short");
        Assert.Equal(100, statistics.Requests);
        Assert.Equal(1, statistics.Computed);
        Assert.Equal(0.99, statistics.HitRatio, 9);
    }

    [Fact]
    public async Task GetOrCreate_AfterTheCategoryTtl_ComputesAgain()
    {
        await using var portal = Start();
        var computed = 0;
        var cache = CacheOf(portal);
        ValueTask<int> Compute(CancellationToken _) => ValueTask.FromResult(Interlocked.Increment(ref computed));

        var first = await cache.GetOrCreateAsync("test-short", new { id = 1 }, Compute);
        var second = await cache.GetOrCreateAsync("test-short", new { id = 1 }, Compute);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var third = await cache.GetOrCreateAsync("test-short", new { id = 1 }, Compute);

        Assert.Equal((1, false), (first.Value, first.FromCache));
        Assert.Equal((1, true), (second.Value, second.FromCache));
        Assert.Equal((2, false), (third.Value, third.FromCache));
    }

    [Fact]
    public async Task GetOrCreate_AnotherProcessComputedIt_ServedFromRedisThenFromPostgres()
    {
        await using var privateRedis = await RedisServer.StartAsync();
        await using var first = Start();
        await using var sameRedis = Start();
        await using var otherRedis = Start(privateRedis.ConnectionString);
        var key = Guid.NewGuid();
        ValueTask<string> Compute(CancellationToken _) => ValueTask.FromResult($"computed {key}");

        await CacheOf(first).GetOrCreateAsync("test-persist", new { key }, Compute);
        var redis = first.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var redisKey = PortalSettings.KeyPrefix(database) + PortalCache.KeyFor("test-persist", new { key });
        await Eventually.HoldsAsync(() => redis.KeyExistsAsync(redisKey), TimeSpan.FromSeconds(5), "HybridCache wrote the value to Redis");
        var fromRedis = await CacheOf(sameRedis).GetOrCreateAsync<string>("test-persist", new { key }, _ => throw new InvalidOperationException("must come from Redis"));
        var fromPostgres = await CacheOf(otherRedis).GetOrCreateAsync<string>("test-persist", new { key }, _ => throw new InvalidOperationException("must come from PostgreSQL"));

        Assert.Equal($"computed {key}", fromRedis.Value);
        Assert.Equal(1, StatisticsOf(sameRedis, "test-persist").RedisHits);
        Assert.Equal($"computed {key}", fromPostgres.Value);
        Assert.Equal(1, StatisticsOf(otherRedis, "test-persist").DatabaseHits);
    }

    [Fact]
    public async Task KeyPrefix_TwoInstallationsOnOneRedis_NeitherReadsTheOthersResults()
    {
        await using var otherDatabase = await TestDatabase.CreateAsync();
        await using var first = Start();
        await using var second = Start(on: otherDatabase);
        var key = Guid.NewGuid();

        await CacheOf(first).GetOrCreateAsync("test-persist", new { key }, _ => ValueTask.FromResult("first installation's"));
        var redis = first.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        await Eventually.HoldsAsync(() => redis.KeyExistsAsync(PortalSettings.KeyPrefix(database) + PortalCache.KeyFor("test-persist", new { key })),
            TimeSpan.FromSeconds(5), "HybridCache wrote the first installation's value to Redis");
        var answer = await CacheOf(second).GetOrCreateAsync("test-persist", new { key }, _ => ValueTask.FromResult("second installation's"));

        Assert.Equal(("second installation's", false), (answer.Value, answer.FromCache));
    }

    [Fact]
    public async Task RedisStopped_ServesFromTheOtherTiersWithoutWaitingForRedis_ThenUsesItAgain()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var portal = Start(redis.ConnectionString);
        var cache = CacheOf(portal);
        await cache.GetOrCreateAsync("test-persist", new { warm = true }, _ => ValueTask.FromResult("warm"));

        await redis.StopAsync();
        var multiplexer = portal.Services.GetRequiredService<IConnectionMultiplexer>();
        await Eventually.HoldsAsync(() => Task.FromResult(!multiplexer.IsConnected), TimeSpan.FromSeconds(10), "the portal notices Redis is gone");
        var durations = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var answer = await cache.GetOrCreateAsync("test-persist", new { i }, _ => ValueTask.FromResult(i));
            durations.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Assert.Equal(i, answer.Value);
        }

        // Bound: no request waits for Redis's 2 s connect time-out (each is a PostgreSQL read and write at most; the
        // bound leaves room for a machine busy with other tests).
        Assert.True(durations.Max() < 1_000, $"slowest request {durations.Max():0} ms while Redis is down");
        Assert.True(StatisticsOf(portal, "test-persist").RedisSkipped > 0);

        await redis.RestartAsync();
        await Eventually.HoldsAsync(() => Task.FromResult(multiplexer.IsConnected), TimeSpan.FromSeconds(20), "the portal reconnects to Redis");
        // A write just as the multiplexer says connected may still find no connection ready (skipped, as while Redis was
        // down: a full run once stored nothing there); the tier is used again within moments.
        var attempt = 0;
        await Eventually.HoldsAsync(async () =>
        {
            var key = new { after = ++attempt };
            await cache.GetOrCreateAsync("test-persist", key, _ => ValueTask.FromResult("back"));
            return await multiplexer.GetDatabase().KeyExistsAsync(PortalSettings.KeyPrefix(database) + PortalCache.KeyFor("test-persist", key));
        }, TimeSpan.FromSeconds(20), "the cache writes to Redis again");
    }

    [Fact]
    public async Task Flush_ACategory_EmptiesEveryTierAndIsAudited()
    {
        await using var portal = Start();
        var cache = CacheOf(portal);
        var computed = 0;
        ValueTask<int> Compute(CancellationToken _) => ValueTask.FromResult(Interlocked.Increment(ref computed));
        await cache.GetOrCreateAsync("test-persist", new { id = 7 }, Compute);
        var admin = await portal.CreateAsync(Portal.Features.Auth.PortalRoles.Admin);
        var user = await portal.Services.GetRequiredService<Portal.Features.Auth.UserStore>().FindByIdAsync(admin.Id);
        var actor = Portal.Features.Auth.PortalPrincipal.Create(user!, "Admin", "password", "test");

        Assert.True(await portal.Services.GetRequiredService<CacheOverview>().FlushAsync(actor, "test-persist"));
        var again = await cache.GetOrCreateAsync("test-persist", new { id = 7 }, Compute);

        Assert.Equal((2, false), (again.Value, again.FromCache)); // computed again: no tier kept it
        var audit = await portal.Services.GetRequiredService<Portal.Features.Audit.AuditLog>().QueryAsync(new(Action: "cache.flush"), 0, 5);
        Assert.Equal((admin.Login, "test-persist"), (audit.Entries.Single().Actor, audit.Entries.Single().Subject));
        Assert.False(await portal.Services.GetRequiredService<CacheOverview>().FlushAsync(actor, "no-such-category"));
    }

    [Fact]
    public async Task Overview_CategorySizes_CountWhatRedisAndPostgresHold()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var portal = Start(redis.ConnectionString);
        var value = new string('v', 1000);
        await CacheOf(portal).GetOrCreateAsync("test-persist", new { id = 1 }, _ => ValueTask.FromResult(value));
        var multiplexer = portal.Services.GetRequiredService<IConnectionMultiplexer>();
        await Eventually.HoldsAsync(() => multiplexer.GetDatabase().KeyExistsAsync(PortalSettings.KeyPrefix(database) + PortalCache.KeyFor("test-persist", new { id = 1 })),
            TimeSpan.FromSeconds(5), "the value reached Redis");

        var panel = (await portal.Services.GetRequiredService<CacheOverview>().GetCategoriesAsync()).Single(category => category.Name == "test-persist");

        // PostgreSQL: the JSON of the value ("vvv…", quotes included) plus the key, computed here independently.
        var key = PortalCache.KeyFor("test-persist", new { id = 1 });
        Assert.Equal(new TierSize(1, value.Length + 2 + key.Length), panel.Database);
        Assert.Equal(1, panel.Redis!.Entries);
        Assert.True(panel.Redis.Bytes > value.Length, $"Redis holds {panel.Redis.Bytes} bytes");
        Assert.Null((await portal.Services.GetRequiredService<CacheOverview>().GetCategoriesAsync()).Single(category => category.Name == "test-short").Database);
    }

    [Fact]
    public async Task Statistics_MemoryTier_CountsEntriesBytesAndExpiriesPerCategory()
    {
        await using var portal = Start();
        var cache = CacheOf(portal);
        var value = new string('v', 1000);
        await cache.GetOrCreateAsync("test-short", new { id = 1 }, _ => ValueTask.FromResult(value));
        await cache.GetOrCreateAsync("test-short", new { id = 2 }, _ => ValueTask.FromResult("ab"));

        // Bytes are the serialized size: HybridCache writes strings as their UTF-8 bytes.
        await Eventually.HoldsAsync(() => Task.FromResult(StatisticsOf(portal, "test-short").Memory == new TierSize(2, value.Length + "ab".Length)),
            TimeSpan.FromSeconds(5), $"the memory tier holds both entries: {StatisticsOf(portal, "test-short").Memory}");

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await cache.GetOrCreateAsync("test-short", new { id = 1 }, _ => ValueTask.FromResult("new"));
        await Eventually.HoldsAsync(() => Task.FromResult(StatisticsOf(portal, "test-short").MemoryExpired >= 1),
            TimeSpan.FromSeconds(5), "the expired entry is counted");
        var statistics = StatisticsOf(portal, "test-short");
        Assert.Equal(0, statistics.MemoryEvicted);
        Assert.Contains(statistics.Memory, new[] { new TierSize(1, 3), new TierSize(2, 3 + 2) }); // "new"; "ab" until the scan finds it expired
    }

    [Fact]
    public async Task Statistics_MemoryTierFull_CountsEvictionsAndStaysWithinItsLimit()
    {
        var settings = PortalSettings.For(database);
        settings["Cache:Categories:test-long:TtlSeconds"] = "300";
        settings["Cache:MemoryLimitBytes"] = "3000";
        await using var portal = new PortalApp(settings).Start();
        var value = new string('v', 1000);

        for (var id = 0; id < 6; id++)
        {
            await CacheOf(portal).GetOrCreateAsync("test-long", new { id }, _ => ValueTask.FromResult(value));
        }

        await Eventually.HoldsAsync(() => Task.FromResult(StatisticsOf(portal, "test-long").MemoryEvicted >= 3),
            TimeSpan.FromSeconds(5), $"evictions counted: {StatisticsOf(portal, "test-long").MemoryEvicted}");
        var statistics = StatisticsOf(portal, "test-long");
        Assert.InRange(statistics.Memory.Bytes, 0, 3000);
        Assert.Equal(6 - statistics.MemoryEvicted, statistics.Memory.Entries);
    }

    [Fact]
    public async Task Api_Categories_CarryEveryTiersCountsAndSizes()
    {
        await using var portal = Start();
        await CacheOf(portal).GetOrCreateAsync("test-persist", new { id = 1 }, _ => ValueTask.FromResult("abcd"));
        await CacheOf(portal).GetOrCreateAsync("test-persist", new { id = 1 }, _ => ValueTask.FromResult("never"));
        using var client = await portal.SignedInClientAsync(Portal.Features.Auth.PortalRoles.Viewer);

        using var body = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/api/v1/cache"));

        var category = body.RootElement.GetProperty("categories").EnumerateArray().Single(item => item.GetProperty("name").GetString() == "test-persist");
        var key = PortalCache.KeyFor("test-persist", new { id = 1 });
        Assert.Equal((2, 1, 1), (category.GetProperty("requests").GetInt64(), category.GetProperty("memoryHits").GetInt64(), category.GetProperty("computed").GetInt64()));
        Assert.Equal((1, 4), (category.GetProperty("memoryEntries").GetInt64(), category.GetProperty("memoryBytes").GetInt64()));
        Assert.Equal((1, "\"abcd\"".Length + key.Length), (category.GetProperty("databaseEntries").GetInt64(), category.GetProperty("databaseBytes").GetInt64()));
        Assert.Equal(0.5, category.GetProperty("hitRatio").GetDouble());
        Assert.Equal("critical", category.GetProperty("level").GetString());
    }

    [Fact]
    public async Task Cleanup_DeletesExactlyTheExpiredRowsInBatches()
    {
        await using var portal = Start();
        var store = portal.Services.GetRequiredService<CacheEntryStore>();
        for (var i = 0; i < 7; i++)
        {
            await store.WriteAsync($"test-persist:expired-{i}", "test-persist", new string('x', 100), TimeSpan.FromMinutes(-1));
        }
        for (var i = 0; i < 3; i++)
        {
            await store.WriteAsync($"test-persist:fresh-{i}", "test-persist", "kept", TimeSpan.FromMinutes(10));
        }

        var (rows, bytes) = await store.DeleteExpiredAsync();

        Assert.Equal(7, rows);
        Assert.True(bytes >= 7 * 100, $"freed {bytes} bytes");
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        Assert.Equal(["test-persist:fresh-0", "test-persist:fresh-1", "test-persist:fresh-2"],
            await connection.QueryAsync<string>("SELECT key FROM cache_entries ORDER BY key"));
    }
}
