namespace Portal.Features.Lab;

public static class LabServiceCollectionExtensions
{
    /// <summary>The lab results (both processes) and the lab-checks job's Lighthouse runner (the worker runs it).</summary>
    public static IServiceCollection AddLab(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LabOptions>().Bind(configuration.GetSection(LabOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<LabResults>();
        services.AddSingleton<LabChecks>();
        services.AddSingleton<LabOverview>();
        services.AddSingleton<LighthouseViewer>();
        return services;
    }
}
