using Portal.Features.Auth;

namespace Portal.Features.Reports;

public static class ReportsServiceCollectionExtensions
{
    /// <summary>The baseline report: its computation, e-mail, SMTP sending and archive.</summary>
    public static IServiceCollection AddReports(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ReportOptions>().Bind(configuration.GetSection(ReportOptions.Section))
            .PostConfigure(reports => reports.PortalUrl ??= configuration["PortalUrl"]);
        services.AddOptions<SmtpOptions>().Bind(configuration.GetSection(SmtpOptions.Section));
        services.AddSingleton<BaselineReportBuilder>();
        services.AddSingleton<ReportMail>();
        services.AddSingleton<ReportMailer>();
        services.AddSingleton<ReportArchive>();
        services.AddSingleton<Reports>();
        services.AddUserDirectory(); // a disabled owner's subscriptions send nothing
        services.AddSingleton<ReportSubscriptions>();
        services.AddSingleton<ReportDelivery>();
        return services;
    }
}
