using Dapper;
using Npgsql;
using Portal.Features.Cache;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Cache;

public sealed class RedisSamplesTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        await using var worker = await WorkerHost.StartAsync(PortalSettings.For(database)); // migrates
    }

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task GetTrend_CountersPerSample_RatioPerIntervalAndAGapAtARestart()
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        // minute, cumulative hits, cumulative misses — Redis restarted before the third sample.
        (int Minute, long Hits, long Misses)[] samples = [(-4, 100, 100), (-3, 190, 110), (-2, 10, 5), (-1, 40, 35)];
        foreach (var (minute, hits, misses) in samples)
        {
            await connection.ExecuteAsync("""
                INSERT INTO redis_samples (name, at, keyspace_hits, keyspace_misses, used_memory_bytes, evicted_keys, expired_keys, ops_per_second, connected_clients, keys)
                VALUES ('portal', now() + make_interval(mins => @minute), @hits, @misses, 1048576, 0, 0, 5, 1, 3)
                """, new { minute, hits, misses });
        }

        await using var dataSource = database.CreateDataSource();
        var trend = await new RedisSamples(dataSource).GetTrendAsync("portal", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddMinutes(1));

        // Worked by hand: (190−100)/((190−100)+(110−100)) = 0.9; the restart's deltas are negative: no ratio; (40−10)/((40−10)+(35−5)) = 0.5.
        Assert.Equal([null, 0.9, null, 0.5], trend.Select(point => point.HitRatio));
        Assert.All(trend, point => Assert.Equal(1_048_576, point.UsedMemoryBytes));
    }
}
