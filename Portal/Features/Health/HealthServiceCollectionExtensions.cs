using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Portal.Features.Health;

public static class HealthServiceCollectionExtensions
{
    /// <summary>
    /// Probes for every dependency. PostgreSQL failing makes the portal unhealthy (503 on <c>/readyz</c>);
    /// Redis, Prometheus and the worker only degrade it. The same probes feed the Overview every few seconds.
    /// </summary>
    public static IServiceCollection AddDependencyHealth(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(HealthOptions.Section).Get<HealthOptions>() ?? new HealthOptions();
        services.AddOptions<HealthOptions>()
            .Bind(configuration.GetSection(HealthOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var timeout = TimeSpan.FromSeconds(options.ProbeTimeoutSeconds);
        services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>(Dependencies.PostgreSql, HealthStatus.Unhealthy, timeout: timeout)
            .AddCheck<RedisHealthCheck>(Dependencies.Redis, HealthStatus.Degraded, timeout: timeout)
            .AddCheck<PrometheusHealthCheck>(Dependencies.Prometheus, HealthStatus.Degraded, timeout: timeout)
            .AddCheck<WorkerHealthCheck>(Dependencies.Worker, HealthStatus.Degraded, timeout: timeout);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DependencyStatusStore>();
        services.AddSingleton<IHealthCheckPublisher>(sp => sp.GetRequiredService<DependencyStatusStore>());
        services.Configure<HealthCheckPublisherOptions>(publisher =>
        {
            publisher.Delay = TimeSpan.Zero;
            publisher.Period = TimeSpan.FromSeconds(options.ProbeIntervalSeconds);
            publisher.Timeout = timeout * 2;
        });
        return services;
    }

    public static IEndpointRouteBuilder MapDependencyHealth(this IEndpointRouteBuilder endpoints)
    {
        // Liveness runs no probe: the process answers, so it is alive.
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions { ResponseWriter = ReadinessResponse.WriteAsync }).AllowAnonymous();
        return endpoints;
    }
}
