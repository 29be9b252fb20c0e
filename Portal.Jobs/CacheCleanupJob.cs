using Portal.Features.Cache;

namespace Portal.Jobs;

/// <summary>The retention of the cache's PostgreSQL tier: expired rows deleted in batches.</summary>
public sealed class CacheCleanupJob(CacheEntryStore cache) : IPortalJob
{
    public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var (rows, bytes) = await cache.DeleteExpiredAsync(cancellationToken);
        return $"deleted {rows:N0} expired cache rows, freed {bytes / 1_048_576.0:0.0} MB";
    }
}
