using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Portal.Features.Health;

public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var endpoint = redis.GetEndPoints().FirstOrDefault();
        if (!redis.IsConnected)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"not connected to {endpoint}; reconnecting in the background");
        }

        await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
        var server = endpoint is null ? null : redis.GetServer(endpoint);
        return HealthCheckResult.Healthy($"Redis {server?.Version}");
    }
}
