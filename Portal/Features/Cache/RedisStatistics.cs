using System.Globalization;
using StackExchange.Redis;

namespace Portal.Features.Cache;

/// <summary>What Redis's <c>INFO</c> says about it as a cache.</summary>
public sealed record RedisStatistics(
    string Name,
    string Endpoint,
    string Version,
    long KeyspaceHits,
    long KeyspaceMisses,
    long UsedMemoryBytes,
    long PeakMemoryBytes,
    long MaxMemoryBytes,
    string EvictionPolicy,
    long EvictedKeys,
    long ExpiredKeys,
    long OpsPerSecond,
    long ConnectedClients,
    IReadOnlyDictionary<string, long> KeysPerDatabase,
    TimeSpan Uptime)
{
    /// <summary><c>keyspace_hits / (keyspace_hits + keyspace_misses)</c>; null before any lookup.</summary>
    public double? HitRatio => KeyspaceHits + KeyspaceMisses == 0 ? null : (double)KeyspaceHits / (KeyspaceHits + KeyspaceMisses);

    /// <summary>Reads INFO from the multiplexer's server (it is created with <c>allowAdmin</c>).</summary>
    public static async Task<RedisStatistics> ReadAsync(string name, IConnectionMultiplexer redis)
    {
        var endpoint = redis.GetEndPoints().First();
        var info = (await redis.GetServer(endpoint).InfoAsync())
            .SelectMany(section => section.Select(pair => (Section: section.Key, pair.Key, pair.Value)))
            .ToList();
        string Value(string key) => info.FirstOrDefault(entry => entry.Key == key).Value ?? "";
        long Number(string key) => long.TryParse(Value(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : 0;

        // keyspace lines: db0 -> "keys=12,expires=3,avg_ttl=0"
        var keys = info.Where(entry => entry.Section.Equals("Keyspace", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(entry => entry.Key, entry => long.Parse(entry.Value.Split(',')[0].Split('=')[1], CultureInfo.InvariantCulture));

        return new RedisStatistics(name, endpoint.ToString() ?? "", Value("redis_version"),
            Number("keyspace_hits"), Number("keyspace_misses"), Number("used_memory"), Number("used_memory_peak"), Number("maxmemory"),
            Value("maxmemory_policy"), Number("evicted_keys"), Number("expired_keys"), Number("instantaneous_ops_per_sec"),
            Number("connected_clients"), keys, TimeSpan.FromSeconds(Number("uptime_in_seconds")));
    }
}

/// <summary>The seed's thresholds for a cache's hit ratio.</summary>
public static class HitRatioLevels
{
    /// <summary>Under this a hit ratio is flagged.</summary>
    public const double Warning = 0.80;

    /// <summary>Under this it is critical (the seed's alert threshold).</summary>
    public const double Critical = 0.60;

    public static string LevelOf(double? ratio) => ratio switch
    {
        null => "none",
        < Critical => "critical",
        < Warning => "warning",
        _ => "ok",
    };
}
