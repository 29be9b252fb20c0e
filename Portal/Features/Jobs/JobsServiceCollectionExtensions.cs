using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Portal.Data;
using Portal.Features.Auth;

namespace Portal.Features.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>Hangfire on the portal's PostgreSQL (schema <c>hangfire</c>, created by Hangfire.PostgreSql). Client only: the worker adds the server.</summary>
    public static IServiceCollection AddJobStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(DataServiceCollectionExtensions.ConnectionStringName)!;
        var worker = configuration.GetSection(WorkerOptions.Section).Get<WorkerOptions>() ?? new WorkerOptions();
        services.AddOptions<WorkerOptions>()
            .Bind(configuration.GetSection(WorkerOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // One storage and job activator per container, registered before AddHangfire: its own registrations hand out
        // Hangfire's statics (JobStorage.Current, JobActivator.Current), which are the last configured in the process —
        // another host's when one process holds several (the tests run portals and workers side by side).
        var storageOptions = new PostgreSqlStorageOptions
        {
            SchemaName = HangfireSchema.Name,
            PrepareSchemaIfNecessary = false, // HangfireSchema installs it under the migration lock
            // Workers wait on LISTEN new_job (an enqueue, from any process, NOTIFYs them at once) and poll the
            // queue only every 15 s besides: 4 workers polled ~4 times a second when nobody enqueued anything.
            EnableLongPolling = true,
            QueuePollInterval = TimeSpan.FromSeconds(15),
            InvisibilityTimeout = TimeSpan.FromSeconds(worker.InvisibilityTimeoutSeconds),
            UseSlidingInvisibilityTimeout = true,
        };
        services.AddSingleton<JobStorage>(_ => new PostgreSqlStorage(new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(connectionString, storageOptions), storageOptions));
        services.AddSingleton<JobActivator>(provider => new AspNetCoreJobActivator(provider.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((provider, config) => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseFilter(new TriggeredBy())
            .UseLogProvider(new HangfireLogProvider(provider.GetRequiredService<ILoggerFactory>()))
            .UseStorage(provider.GetRequiredService<JobStorage>()));
        services.AddSingleton<ISchemaInstaller, HangfireSchema>();
        services.AddSingleton<WorkerHeartbeats>();
        services.AddSingleton<JobRunStore>();
        services.AddSingleton<JobsService>();
        return services;
    }

    /// <summary>Hangfire's dashboard, read-only, for Admins: anonymous users are sent to sign in, other roles get 403.</summary>
    public static IEndpointRouteBuilder MapJobDashboard(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            DashboardTitle = "Portal · Hangfire",
            AppPath = "/jobs",
            Authorization = [new AdminDashboardAuthorization()],
            // To look only: every action (run, pause, delete, requeue) goes through the portal's Jobs page, which audits it.
            IsReadOnlyFunc = _ => true,
        }).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Admin));
        return endpoints;
    }

    /// <summary>Hangfire's own check, reading the signed-in principal (endpoint authorization already ran; this guards any other mount).</summary>
    private sealed class AdminDashboardAuthorization : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => context.GetHttpContext().User.IsInRole(PortalRoles.Admin);
    }
}
