using Hangfire;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Portal.Data;

namespace Portal.Features.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>Hangfire on the portal's PostgreSQL (schema <c>hangfire</c>, created by Hangfire.PostgreSql). Client only: the worker adds the server.</summary>
    public static IServiceCollection AddJobStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(DataServiceCollectionExtensions.ConnectionStringName)!;
        services.AddOptions<WorkerOptions>()
            .Bind(configuration.GetSection(WorkerOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHangfire(config => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(
                bootstrap => bootstrap.UseNpgsqlConnection(connectionString),
                new PostgreSqlStorageOptions
                {
                    SchemaName = HangfireSchema.Name,
                    PrepareSchemaIfNecessary = false, // HangfireSchema installs it under the migration lock
                    QueuePollInterval = TimeSpan.FromSeconds(1),
                }));
        services.AddSingleton<ISchemaInstaller, HangfireSchema>();
        services.AddSingleton<WorkerHeartbeats>();
        return services;
    }

    public static IEndpointRouteBuilder MapJobDashboard(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            DashboardTitle = "Portal · Hangfire",
            AppPath = "/",
            Authorization = [new OpenDashboardAuthorization()],
        });
        return endpoints;
    }

    /// <summary>
    /// Hangfire allows only local requests by default. Until sign-in exists the dashboard is as open as the rest of
    /// the portal; the sign-in work replaces this filter with an Admin-only one.
    /// </summary>
    private sealed class OpenDashboardAuthorization : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => true;
    }
}
