using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Portal.Features.Vitals;

public static class VitalsServiceCollectionExtensions
{
    /// <summary>Apps, the ingestion's writer and limits, and the reads of the Web Vitals pages.</summary>
    public static IServiceCollection AddWebVitals(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<VitalsOptions>()
            .Bind(configuration.GetSection(VitalsOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<VitalsApps>();
        services.AddSingleton<VitalsStore>();
        services.AddSingleton<Portal.Data.ISchemaInstaller>(sp => sp.GetRequiredService<VitalsStore>());
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>The web process's part: the ingestion endpoint's writer and limits.</summary>
    public static IServiceCollection AddWebVitalsIngestion(this IServiceCollection services)
    {
        services.AddSingleton<VitalsRateLimits>();
        services.AddSingleton<VitalsWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<VitalsWriter>());
        return services;
    }
}
