using Portal.Features.Lab;
using Portal.Features.Vitals;
using Portal.Features.Queries;
using Hangfire.Common;
using Hangfire;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Features.Cache;
using Portal.Features.Alerts;
using Portal.Features.Reports;
using Portal.Features.Jobs;
using Portal.Features.Prometheus;
using Portal.Features.Scorecards;
using Portal.Observability;
using Prometheus;

namespace Portal.Jobs;

/// <summary>Composition of the worker process: a Hangfire server, the job catalogue, and <c>/healthz</c> + <c>/metrics</c>.</summary>
public static class JobsApplication
{
    public static WebApplicationBuilder AddPortalJobs(this WebApplicationBuilder builder)
    {
        MetricsDefaults.Apply();
        // A service a job needs but nobody registered fails the start, not every fire of the job (report delivery
        // did, for a day, in the worker only: the web process registers more).
        builder.Host.UseDefaultServiceProvider(options => (options.ValidateOnBuild, options.ValidateScopes) = (true, true));
        builder.Services.AddOutboundHttpLog();
        var worker = builder.Configuration.GetSection(WorkerOptions.Section).Get<WorkerOptions>() ?? new WorkerOptions();
        builder.WebHost.UseUrls(worker.Urls);

        builder.Services.AddPortalData(builder.Configuration);
        builder.Services.AddJobStorage(builder.Configuration);
        builder.Services.AddOptions<JobsOptions>()
            .Bind(builder.Configuration.GetSection(JobsOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Retries come from configuration (per server, below), not from Hangfire's global default of ten.
        GlobalJobFilters.Filters.Remove<AutomaticRetryAttribute>();
        builder.Services.AddHangfireServer((services, server) =>
        {
            // Resolving the storage applies Hangfire's configuration (its log provider among it) before filters are made.
            services.GetRequiredService<JobStorage>();
            var options = services.GetRequiredService<IOptions<WorkerOptions>>().Value;
            var delays = services.GetRequiredService<IOptions<JobsOptions>>().Value.EffectiveRetryDelays;
            server.ServerName = WorkerIdentity.Current.Node;
            server.Queues = services.GetServices<JobDefinition>().Select(job => job.Queue).Append("default").Distinct().ToArray();
            server.WorkerCount = options.WorkerCount;
            // Recurring jobs with a seconds field (the 15 s heartbeat) need the scheduler to look more often than its 15 s default.
            server.SchedulePollingInterval = TimeSpan.FromSeconds(options.SchedulePollingSeconds);
            server.FilterProvider = new JobFilterProviderCollection(JobFilterProviders.Providers, new JobFilterCollection
            {
                services.GetRequiredService<JobRunRecorder>(),
                new AutomaticRetryAttribute { Attempts = delays.Length, DelaysInSeconds = delays },
            });
        });
        builder.Services.AddHealthChecks();

        builder.Services.AddPortalCache(builder.Configuration);
        builder.Services.AddQueryStatistics(builder.Configuration);
        builder.Services.AddWebVitals(builder.Configuration);
        builder.Services.AddPrometheusClient(builder.Configuration);
        builder.Services.AddScorecards(builder.Configuration);
        builder.Services.AddAlerts(builder.Configuration);
        builder.Services.AddReports(builder.Configuration);
        builder.Services.AddLab(builder.Configuration);
        builder.Services.AddNotificationSender();
        builder.Services.AddSingleton(WorkerIdentity.Current);
        foreach (var definition in Catalogue.Jobs)
        {
            builder.Services.AddSingleton(definition);
        }
        builder.Services.AddSingleton<JobRunRecorder>();
        builder.Services.AddTransient<ICatalogueJobRunner, JobRunner>();
        builder.Services.AddHostedService<WorkerRegistration>();
        builder.Services.AddHostedService<CatalogueSync>();
        return builder;
    }

    /// <summary>The worker process: migrate, then run until stopped. <paramref name="configure"/> adds services (the test worker's jobs).</summary>
    public static async Task<int> RunAsync(string[] args, Action<IServiceCollection>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddPortalJobs();
        configure?.Invoke(builder.Services);

        var app = builder.Build();
        if (!await app.Services.TryMigrateDatabaseAsync(app.Lifetime.ApplicationStopping))
        {
            return 1;
        }

        app.MapPortalJobs();
        await app.RunAsync();
        return 0;
    }

    public static WebApplication MapPortalJobs(this WebApplication app)
    {
        app.UseHttpMetrics();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapMetrics();
        return app;
    }
}
