using System.Security.Claims;
using Microsoft.Extensions.Options;
using Portal.Features.Audit;
using StackExchange.Redis;

namespace Portal.Features.Cache;

/// <summary>The Redis server as the Cache page shows it: its statistics, or why they could not be read.</summary>
public sealed record RedisPanel(string Name, RedisStatistics? Statistics, string? Error);

/// <summary>One category of the portal's cache: its configuration and its counts since this process started.</summary>
public sealed record CategoryPanel(string Name, CacheCategoryOptions Options, CacheCategoryStatistics Statistics);

/// <summary>The Cache page's and <c>GET /api/v1/cache</c>'s data, and the audited flush.</summary>
public sealed class CacheOverview(IConnectionMultiplexer redis, CacheStatistics statistics, IOptions<CacheOptions> options, PortalCache cache, AuditLog audit)
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

    public IReadOnlyList<CategoryPanel> GetCategories()
    {
        var counted = statistics.Snapshot().ToDictionary(entry => entry.Category, StringComparer.OrdinalIgnoreCase);
        return options.Value.Categories.OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => new CategoryPanel(pair.Key, pair.Value, counted.GetValueOrDefault(pair.Key) ?? new CacheCategoryStatistics(pair.Key, 0, 0, 0, 0, 0, 0, 0)))
            .ToList();
    }

    /// <returns>False for an unknown category.</returns>
    public async Task<bool> FlushAsync(ClaimsPrincipal actor, string category, CancellationToken cancellationToken = default)
    {
        if (!options.Value.Categories.ContainsKey(category))
        {
            return false;
        }
        await cache.FlushAsync(category, cancellationToken);
        await audit.RecordAsync(AuditLog.ActorOf(actor), "cache.flush", category, null, new { flushed = true }, cancellationToken);
        return true;
    }
}
