using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Portal.Features.Auth;

/// <summary>
/// Sign-in attempts per client address (the one a trusted proxy forwards), whatever the logins tried: the account
/// lockout stops guessing one password, this stops one address trying many accounts. Kept in each web replica's
/// memory: behind N replicas an address gets at most N times the limit.
/// </summary>
public sealed class SignInThrottle(IOptions<AuthOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> limiter = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.MaxAttemptsPerAddress,
            Window = TimeSpan.FromMinutes(options.Value.AttemptWindowMinutes),
            QueueLimit = 0,
        }));

    /// <returns>Null when the attempt may go on; else how long until the address may try again.</returns>
    public TimeSpan? Check(string address)
    {
        using var lease = limiter.AttemptAcquire(address);
        return lease.IsAcquired ? null
            : lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(options.Value.AttemptWindowMinutes);
    }

    public void Dispose() => limiter.Dispose();
}
