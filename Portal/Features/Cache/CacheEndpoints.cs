using Portal.Features.Auth;

namespace Portal.Features.Cache;

public static class CacheEndpoints
{
    public sealed record RedisResponse(string Name, string? Error, double? HitRatio, long? UsedMemoryBytes, long? PeakMemoryBytes, long? MaxMemoryBytes,
        string? EvictionPolicy, long? EvictedKeys, long? ExpiredKeys, long? OpsPerSecond, long? ConnectedClients, IReadOnlyDictionary<string, long>? KeysPerDatabase, double? UptimeSeconds);

    public sealed record CategoryResponse(string Name, int TtlSeconds, bool Persisted, long Requests, long MemoryHits, long RedisHits, long DatabaseHits,
        long Computed, double HitRatio, double ComputeMsSaved, string Level, long MemoryEntries, long MemoryBytes, long MemoryEvicted, long MemoryExpired,
        long? RedisEntries, long? RedisBytes, long? DatabaseEntries, long? DatabaseBytes);

    public sealed record CacheResponse(IReadOnlyList<RedisResponse> Redis, IEnumerable<CategoryResponse> Categories);

    /// <summary><c>GET /api/v1/cache</c> (Viewer): Redis statistics and the portal's cache by category.</summary>
    public static IEndpointRouteBuilder MapCacheApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/v1/cache", async (CacheOverview overview, CancellationToken cancellationToken) =>
        {
            var redis = await overview.GetRedisAsync();
            var stats = redis.Statistics;
            return new CacheResponse(
                [
                    new RedisResponse(redis.Name, redis.Error, stats?.HitRatio, stats?.UsedMemoryBytes, stats?.PeakMemoryBytes, stats?.MaxMemoryBytes,
                        stats?.EvictionPolicy, stats?.EvictedKeys, stats?.ExpiredKeys, stats?.OpsPerSecond, stats?.ConnectedClients, stats?.KeysPerDatabase, stats?.Uptime.TotalSeconds),
                ],
                (await overview.GetCategoriesAsync(cancellationToken)).Select(category => new CategoryResponse(
                    category.Name, category.Options.TtlSeconds, category.Options.Persist, category.Statistics.Requests, category.Statistics.MemoryHits,
                    category.Statistics.RedisHits, category.Statistics.DatabaseHits, category.Statistics.Computed,
                    category.Statistics.HitRatio, Math.Round(category.Statistics.ComputeMsSaved, 1),
                    HitRatioLevels.LevelOf(category.Statistics.Requests == 0 ? null : category.Statistics.HitRatio),
                    category.Statistics.Memory.Entries, category.Statistics.Memory.Bytes, category.Statistics.MemoryEvicted, category.Statistics.MemoryExpired,
                    category.Redis?.Entries, category.Redis?.Bytes, category.Database?.Entries, category.Database?.Bytes)));
        }).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Viewer));
        return endpoints;
    }
}
