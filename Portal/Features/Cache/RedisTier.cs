using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using StackExchange.Redis;

namespace Portal.Features.Cache;

/// <summary>
/// The cache's Redis tier, circuit-broken: while the shared multiplexer is disconnected, reads miss and writes are
/// skipped at once (no request waits for a connect time-out); the multiplexer reconnects in the background and the
/// tier is used again. Redis hits are counted here, per category (the key's prefix).
/// </summary>
public sealed class RedisTier(RedisCache redis, IConnectionMultiplexer multiplexer, CacheStatistics statistics) : IDistributedCache
{
    private static string CategoryOf(string key) => key.Split(':', 2)[0];

    private bool Available(string key)
    {
        if (multiplexer.IsConnected)
        {
            return true;
        }
        statistics.RedisSkipped(CategoryOf(key));
        return false;
    }

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        if (!Available(key))
        {
            return null;
        }
        try
        {
            var value = await redis.GetAsync(key, token);
            if (value is not null)
            {
                statistics.Answered(CategoryOf(key), CacheTier.Redis);
            }
            return value;
        }
        catch (RedisException)
        {
            statistics.RedisSkipped(CategoryOf(key));
            return null; // Redis went away mid-call: a miss, the other tiers answer
        }
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        if (Available(key))
        {
            try
            {
                await redis.SetAsync(key, value, options, token);
            }
            catch (RedisException)
            {
                statistics.RedisSkipped(CategoryOf(key));
            }
        }
    }

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        if (Available(key))
        {
            await redis.RefreshAsync(key, token);
        }
    }

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        if (Available(key))
        {
            await redis.RemoveAsync(key, token);
        }
    }
}
