namespace Portal.Features.Alerts;

public static class AlertsServiceCollectionExtensions
{
    /// <summary>The alert rules (alerts.yaml and the burn-rate rules of the SLA catalogue), their evaluation and their state.</summary>
    public static IServiceCollection AddAlerts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AlertOptions>().Bind(configuration.GetSection(AlertOptions.Section));
        services.AddOptions<NotificationOptions>().Bind(configuration.GetSection(NotificationOptions.Section))
            .PostConfigure(notifications => notifications.PortalUrl ??= configuration["PortalUrl"]);
        services.AddOptions<SlackOptions>().Bind(configuration.GetSection(SlackOptions.Section));
        services.AddSingleton<SlackDestinations>();
        services.AddSingleton<NotificationDestinations>();
        services.AddSingleton<AlertBacktest>();
        services.AddSingleton<AlertRulesSource>();
        services.AddSingleton<AlertRulesCheck>();
        services.AddSingleton<AlertEvaluator>();
        services.AddSingleton<AlertStore>();
        services.AddSingleton<AlertEvaluation>();
        services.AddSingleton<SilenceStore>();
        services.AddSingleton<NotificationActions>();
        return services;
    }

    /// <summary>The outbox's sender (the worker runs it).</summary>
    public static IServiceCollection AddNotificationSender(this IServiceCollection services)
    {
        services.AddHttpClient(NotificationSender.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<NotificationSender>();
        services.AddHostedService(provider => provider.GetRequiredService<NotificationSender>());
        return services;
    }
}
