using Portal.Features.Auth;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using Portal.Features.Audit;
using StackExchange.Redis;

namespace Portal.Features.Cache;

/// <summary>The Redis server as the Cache page shows it: its statistics, or why they could not be read.</summary>
public sealed record RedisPanel(string Name, RedisStatistics? Statistics, string? Error);

/// <summary>What a tier holds of a category now: entries and bytes (null when the tier could not be read).</summary>
public sealed record TierSize(long Entries, long Bytes);

/// <summary>
/// One category of the portal's cache: its configuration, its counts since this process started, and what Redis and
/// PostgreSQL hold of it now.
/// </summary>
public sealed record CategoryPanel(string Name, CacheCategoryOptions Options, CacheCategoryStatistics Statistics, TierSize? Redis, TierSize? Database);

/// <summary>The Cache page's and <c>GET /api/v1/cache</c>'s data, and the audited flush.</summary>
public sealed class CacheOverview(
    IConnectionMultiplexer redis, CacheStatistics statistics, IOptions<CacheOptions> options, PortalCache cache, CacheEntryStore persisted, AuditLog audit)
{
    public const string BundledRedis = "portal";

    public async Task<RedisPanel> GetRedisAsync()
    {
        if (!redis.IsConnected)
        {
            return new RedisPanel(BundledRedis, null, $"not connected to {redis.GetEndPoints().FirstOrDefault()}; reconnecting in the background");
        }
        try
        {
            return new RedisPanel(BundledRedis, await RedisStatistics.ReadAsync(BundledRedis, redis), null);
        }
        catch (RedisException ex)
        {
            return new RedisPanel(BundledRedis, null, ex.Message);
        }
    }

    /// <summary>Keys counted per category in Redis; the scan stops here (the page says "at least").</summary>
    public const int RedisScanLimit = 1_000;

    public async Task<IReadOnlyList<CategoryPanel>> GetCategoriesAsync(CancellationToken cancellationToken = default)
    {
        var counted = statistics.Snapshot().ToDictionary(entry => entry.Category, StringComparer.OrdinalIgnoreCase);
        IReadOnlyDictionary<string, (long Entries, long Bytes)>? database;
        try
        {
            database = await persisted.SizesAsync(cancellationToken);
        }
        catch (Npgsql.NpgsqlException)
        {
            database = null;
        }

        var panels = new List<CategoryPanel>();
        foreach (var (name, settings) in options.Value.Categories.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            var stats = counted.GetValueOrDefault(name) ?? new CacheCategoryStatistics(name, 0, 0, 0, 0, 0, 0, 0);
            var inDatabase = database is null ? null : database.TryGetValue(name, out var size) ? new TierSize(size.Entries, size.Bytes) : new TierSize(0, 0);
            panels.Add(new CategoryPanel(name, settings, stats, await RedisSizeAsync(name), settings.Persist ? inDatabase : null));
        }
        return panels;
    }

    // HybridCache writes "{KeyPrefix}{category}:{hash}" (the RedisCache instance name is the key prefix, "portal:" by default).
    private async Task<TierSize?> RedisSizeAsync(string category)
    {
        if (!redis.IsConnected)
        {
            return null;
        }
        try
        {
            // The page refreshes every few seconds: the key sizes are asked for in one pipelined batch, not one round trip each.
            var server = redis.GetServer(redis.GetEndPoints().First());
            var keys = new List<RedisKey>();
            await foreach (var key in server.KeysAsync(pattern: $"{options.Value.KeyPrefix}{category}:*", pageSize: 500))
            {
                keys.Add(key);
                if (keys.Count >= RedisScanLimit)
                {
                    break;
                }
            }
            var database = redis.GetDatabase();
            var sizes = await Task.WhenAll(keys.Select(key => database.ExecuteAsync("MEMORY", "USAGE", key)));
            var (entries, bytes) = ((long)keys.Count, sizes.Sum(size => (long?)size ?? 0));
            return new TierSize(entries, bytes);
        }
        catch (RedisException)
        {
            return null;
        }
    }

    /// <returns>False for an unknown category.</returns>
    public async Task<bool> FlushAsync(ClaimsPrincipal actor, string category, CancellationToken cancellationToken = default)
    {
        PortalRoles.Demand(actor, PortalRoles.Admin, "flush the cache");
        if (!options.Value.Categories.ContainsKey(category))
        {
            return false;
        }
        await cache.FlushAsync(category, cancellationToken);
        await audit.RecordAsync(AuditLog.ActorOf(actor), "cache.flush", category, null, new { flushed = true }, cancellationToken);
        return true;
    }
}
