using Microsoft.Extensions.Diagnostics.HealthChecks;
using Portal.Features.Prometheus;

namespace Portal.Features.Health;

public sealed class PrometheusHealthCheck(IPrometheusApi prometheus) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var response = await prometheus.GetBuildInfoAsync(cancellationToken);
        return response.Data is { } build
            ? HealthCheckResult.Healthy($"Prometheus {build.Version}")
            : new HealthCheckResult(context.Registration.FailureStatus, $"{response.ErrorType}: {response.Error}");
    }
}
