using Portal.Features.Auth;
using Portal.Features.Reports.Sections;

namespace Portal.Features.Reports;

public static class ReportsServiceCollectionExtensions
{
    /// <summary>The baseline report: its computation, e-mail, SMTP sending and archive.</summary>
    public static IServiceCollection AddReports(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ReportOptions>().Bind(configuration.GetSection(ReportOptions.Section))
            .PostConfigure(reports => reports.PortalUrl ??= configuration["PortalUrl"]).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SmtpOptions>().Bind(configuration.GetSection(SmtpOptions.Section));
        // The report's sections, in the order they are read (the SLI samples fill in what Prometheus did not answer).
        services.AddSingleton<IReportSection, WebVitalsSection>();
        services.AddSingleton<IReportSection, PrometheusSection>();
        services.AddSingleton<IReportSection, SliSamplesSection>();
        services.AddSingleton<IReportSection, QueriesSection>();
        services.AddSingleton<IReportSection, RedisSection>();
        services.AddSingleton<IReportSection, ObjectivesSection>();
        services.AddSingleton<IReportSection, AlertsSection>();
        services.AddSingleton<IReportSection, JobsSection>();
        services.AddSingleton<IReportSection, LabSection>();
        services.AddSingleton<IReportSection, InfrastructureSection>();
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
