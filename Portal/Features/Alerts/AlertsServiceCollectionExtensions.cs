namespace Portal.Features.Alerts;

public static class AlertsServiceCollectionExtensions
{
    /// <summary>The alert rules (alerts.yaml and the burn-rate rules of the SLA catalogue), their evaluation and their state.</summary>
    public static IServiceCollection AddAlerts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AlertOptions>().Bind(configuration.GetSection(AlertOptions.Section));
        services.AddSingleton<AlertRulesSource>();
        services.AddSingleton<AlertEvaluator>();
        services.AddSingleton<AlertStore>();
        services.AddSingleton<AlertEvaluation>();
        return services;
    }
}
