using Dapper;
using Npgsql;

namespace Portal.Features.Cache;

/// <summary>A point of a Redis trend: the hit ratio of the interval since the previous sample, and the memory then.</summary>
public sealed record RedisTrendPoint(DateTimeOffset At, double? HitRatio, long UsedMemoryBytes, long OpsPerSecond);

/// <summary>The <c>redis_samples</c> table: written every minute by the redis-samples job, read by the Cache page.</summary>
public sealed class RedisSamples(NpgsqlDataSource dataSource)
{
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    public async Task RecordAsync(RedisStatistics statistics, CancellationToken cancellationToken = default)
    {
        const string sql = """
            INSERT INTO redis_samples (name, keyspace_hits, keyspace_misses, used_memory_bytes, evicted_keys, expired_keys, ops_per_second, connected_clients, keys)
            VALUES (@Name, @KeyspaceHits, @KeyspaceMisses, @UsedMemoryBytes, @EvictedKeys, @ExpiredKeys, @OpsPerSecond, @ConnectedClients, @keys);
            DELETE FROM redis_samples WHERE at < now() - @Retention;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            statistics.Name, statistics.KeyspaceHits, statistics.KeyspaceMisses, statistics.UsedMemoryBytes, statistics.EvictedKeys,
            statistics.ExpiredKeys, statistics.OpsPerSecond, statistics.ConnectedClients, keys = statistics.KeysPerDatabase.Values.Sum(), Retention,
        }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The trend over <paramref name="window"/>: each point's hit ratio is that of its interval (differences of the
    /// counters), so a restart of Redis (counters going down) gives a gap, never a negative ratio.
    /// </summary>
    public async Task<IReadOnlyList<RedisTrendPoint>> GetTrendAsync(string name, TimeSpan window, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT at AS "At",
                   CASE WHEN hits >= 0 AND misses >= 0 AND hits + misses > 0 THEN hits::float8 / (hits + misses) END AS "HitRatio",
                   used_memory_bytes AS "UsedMemoryBytes", ops_per_second AS "OpsPerSecond"
            FROM (
                SELECT at, used_memory_bytes, ops_per_second,
                       keyspace_hits - lag(keyspace_hits) OVER (ORDER BY at) AS hits,
                       keyspace_misses - lag(keyspace_misses) OVER (ORDER BY at) AS misses
                FROM redis_samples WHERE name = @name AND at > now() - @window
            ) deltas
            ORDER BY at
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<RedisTrendPoint>(new CommandDefinition(sql, new { name, window }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>The Redis instances sampled between two instants.</summary>
    public async Task<IReadOnlyList<string>> NamesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT name FROM redis_samples WHERE at > @from AND at <= @to ORDER BY name", new { from, to }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>
    /// The hit ratio and lookups between the last readings at or before each instant; null without two readings, without
    /// lookups, or across a restart of Redis (its counters going down).
    /// </summary>
    public async Task<(double Ratio, long Lookups)?> HitRatioBetweenAsync(string name, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        const string reading = "SELECT keyspace_hits, keyspace_misses FROM redis_samples WHERE name = @name AND at <= @at ORDER BY at DESC LIMIT 1";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var first = await connection.QueryFirstOrDefaultAsync<(long Hits, long Misses)?>(new CommandDefinition(reading, new { name, at = from }, cancellationToken: cancellationToken));
        var last = await connection.QueryFirstOrDefaultAsync<(long Hits, long Misses)?>(new CommandDefinition(reading, new { name, at = to }, cancellationToken: cancellationToken));
        if (first is not { } start || last is not { } end)
        {
            return null;
        }
        var (hits, misses) = (end.Hits - start.Hits, end.Misses - start.Misses);
        return hits >= 0 && misses >= 0 && hits + misses > 0 ? ((double)hits / (hits + misses), hits + misses) : null;
    }
}
