using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Portal.Features.Vitals;

/// <summary>The ingestion's rate limits (ASP.NET Core's limiters): requests a minute per app key and per client address.</summary>
public sealed class VitalsRateLimits(IOptions<VitalsOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> perKey = PerMinute(options.Value.RequestsPerMinutePerKey);
    private readonly PartitionedRateLimiter<string> perAddress = PerMinute(options.Value.RequestsPerMinutePerAddress);

    public int PerKey { get; } = options.Value.RequestsPerMinutePerKey;

    public int PerAddress { get; } = options.Value.RequestsPerMinutePerAddress;

    /// <summary>The client address's limit first: a client past its own limit spends nothing of the key's.</summary>
    /// <returns>Null when the request may go on; else how long until it may be sent again.</returns>
    public TimeSpan? Check(string key, string address)
    {
        foreach (var (limiter, partition) in new[] { (perAddress, address), (perKey, key) })
        {
            using var lease = limiter.AttemptAcquire(partition);
            if (!lease.IsAcquired)
            {
                return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
            }
        }
        return null;
    }

    private static PartitionedRateLimiter<string> PerMinute(int permits) => PartitionedRateLimiter.Create<string, string>(partition =>
        RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    public void Dispose()
    {
        perKey.Dispose();
        perAddress.Dispose();
    }
}
