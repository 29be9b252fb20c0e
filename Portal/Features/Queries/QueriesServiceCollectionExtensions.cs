using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Portal.Features.Queries;

public static class QueriesServiceCollectionExtensions
{
    /// <summary>Monitored databases, their snapshots (written by the worker) and the reads the pages and API make.</summary>
    public static IServiceCollection AddQueryStatistics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<QueryOptions>()
            .Bind(configuration.GetSection(QueryOptions.Section))
            .ValidateDataAnnotations()
            .Validate(options => options.Risks.Problem() is null, "Queries:Risks: each share in (0, 1], the warning below the critical")
            .ValidateOnStart();
        services.AddSingleton<QueryTargets>();
        services.AddSingleton<TargetCheck>();
        services.AddSingleton<QuerySnapshots>();
        services.AddSingleton<QueryStatistics>();
        services.AddSingleton<QueryExplain>();
        services.AddSingleton<IndexHealth>();
        services.AddSingleton<BloatReader>();
        services.AddSingleton<MaintenanceRisks>();
        services.AddSingleton<LiveActivity>();
        services.AddSingleton<ActivityHistory>();
        services.AddSingleton<PlanHistory>();
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
