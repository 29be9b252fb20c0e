using Dapper;
using Npgsql;

namespace Portal.Features.Cache;

/// <summary>Keyspace hits and misses between two readings of a Redis instance.</summary>
public sealed record RedisLookups(long Hits, long Misses)
{
    public long Lookups => Hits + Misses;

    public double HitRatio => (double)Hits / Lookups;
}

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
    /// The trend between two instants: each point's hit ratio is that of its interval (differences of the counters), so
    /// a restart of Redis (counters going down) gives a gap, never a negative ratio.
    /// </summary>
    public async Task<IReadOnlyList<RedisTrendPoint>> GetTrendAsync(string name, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT at AS "At",
                   CASE WHEN hits >= 0 AND misses >= 0 AND hits + misses > 0 THEN hits::float8 / (hits + misses) END AS "HitRatio",
                   used_memory_bytes AS "UsedMemoryBytes", ops_per_second AS "OpsPerSecond"
            FROM (
                SELECT at, used_memory_bytes, ops_per_second,
                       keyspace_hits - lag(keyspace_hits) OVER (ORDER BY at) AS hits,
                       keyspace_misses - lag(keyspace_misses) OVER (ORDER BY at) AS misses
                FROM redis_samples WHERE name = @name AND at > @from AND at <= @to
            ) deltas
            ORDER BY at
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<RedisTrendPoint>(new CommandDefinition(sql, new { name, from, to }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>The Redis instances sampled between two instants.</summary>
    public async Task<IReadOnlyList<string>> NamesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT name FROM redis_samples WHERE at > @from AND at <= @to ORDER BY name", new { from, to }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>
    /// The hits and misses between two instants: the one rule the Cache page's alerts, the cache SLI, the report and
    /// "what changed" read Redis by. Each instant is read at the last reading at or before it (the start at the first
    /// reading after it when Redis was first sampled later); null without two readings, without lookups, or across a
    /// restart of Redis (its counters going down).
    /// </summary>
    public async Task<RedisLookups?> LookupsBetweenAsync(string name, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        (await LookupsBetweenAsync(name, [from, to], cancellationToken))[0];

    /// <summary>The lookups between each pair of consecutive instants (in order), by the rule above: one per pair.</summary>
    public async Task<IReadOnlyList<RedisLookups?>> LookupsBetweenAsync(string name, IReadOnlyList<DateTimeOffset> instants, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT e.at AS "At", b.at AS "BeforeAt", b.keyspace_hits AS "BeforeHits", b.keyspace_misses AS "BeforeMisses",
                   a.at AS "AfterAt", a.keyspace_hits AS "AfterHits", a.keyspace_misses AS "AfterMisses"
            FROM unnest(@instants) AS e(at)
            LEFT JOIN LATERAL (SELECT at, keyspace_hits, keyspace_misses FROM redis_samples s
                               WHERE s.name = @name AND s.at <= e.at ORDER BY s.at DESC LIMIT 1) b ON true
            LEFT JOIN LATERAL (SELECT at, keyspace_hits, keyspace_misses FROM redis_samples s
                               WHERE s.name = @name AND s.at > e.at ORDER BY s.at LIMIT 1) a ON true
            ORDER BY e.at
            """;
        if (instants.Count < 2)
        {
            return [];
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var readings = (await connection.QueryAsync<InstantReadings>(new CommandDefinition(sql,
            new { name, instants = instants.ToArray() }, cancellationToken: cancellationToken))).AsList();
        var lookups = new List<RedisLookups?>(instants.Count - 1);
        for (var i = 0; i + 1 < readings.Count; i++)
        {
            var (start, end) = (readings[i], readings[i + 1]);
            var first = start.BeforeAt is { } before ? (At: before, Hits: start.BeforeHits!.Value, Misses: start.BeforeMisses!.Value)
                : start.AfterAt is { } after && after <= end.At ? (At: after, Hits: start.AfterHits!.Value, Misses: start.AfterMisses!.Value) : default((DateTime At, long Hits, long Misses)?);
            if (first is not { } from || end.BeforeAt is not { } lastAt || lastAt <= from.At)
            {
                lookups.Add(null);
                continue;
            }
            var (hits, misses) = (end.BeforeHits!.Value - from.Hits, end.BeforeMisses!.Value - from.Misses);
            lookups.Add(hits >= 0 && misses >= 0 && hits + misses > 0 ? new RedisLookups(hits, misses) : null);
        }
        return lookups;
    }

    private sealed record InstantReadings(DateTime At, DateTime? BeforeAt, long? BeforeHits, long? BeforeMisses, DateTime? AfterAt, long? AfterHits, long? AfterMisses);
}
