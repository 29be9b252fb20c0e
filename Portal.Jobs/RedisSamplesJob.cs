using Portal.Features.Cache;
using StackExchange.Redis;

namespace Portal.Jobs;

/// <summary>Samples the portal's Redis (INFO) for the Cache page's 24 h and 7 d trends; keeps 30 days.</summary>
public sealed class RedisSamplesJob(IConnectionMultiplexer redis, RedisSamples samples) : IPortalJob
{
    public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        if (!redis.IsConnected)
        {
            throw new InvalidOperationException($"Redis at {redis.GetEndPoints().FirstOrDefault()} is not connected: no sample this minute.");
        }
        var statistics = await RedisStatistics.ReadAsync(CacheOverview.BundledRedis, redis);
        await samples.RecordAsync(statistics, cancellationToken);
        return $"hit ratio {statistics.HitRatio:P1}, {statistics.UsedMemoryBytes / 1_048_576.0:0.0} MB used";
    }
}
