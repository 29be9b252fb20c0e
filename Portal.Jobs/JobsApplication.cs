using Hangfire;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Features.Jobs;
using Portal.Observability;
using Prometheus;

namespace Portal.Jobs;

/// <summary>Composition of the worker process: a Hangfire server, the job catalogue, and <c>/healthz</c> + <c>/metrics</c>.</summary>
public static class JobsApplication
{
    public static WebApplicationBuilder AddPortalJobs(this WebApplicationBuilder builder)
    {
        MetricsDefaults.Apply();
        var worker = builder.Configuration.GetSection(WorkerOptions.Section).Get<WorkerOptions>() ?? new WorkerOptions();
        builder.WebHost.UseUrls(worker.Urls);

        builder.Services.AddPortalData(builder.Configuration);
        builder.Services.AddJobStorage(builder.Configuration);
        builder.Services.AddHangfireServer((services, server) =>
        {
            var options = services.GetRequiredService<IOptions<WorkerOptions>>().Value;
            server.ServerName = WorkerIdentity.Current.Node;
            server.WorkerCount = options.WorkerCount;
            // Recurring jobs with a seconds field (the 15 s heartbeat) need the scheduler to look more often than its 15 s default.
            server.SchedulePollingInterval = TimeSpan.FromSeconds(1);
        });
        builder.Services.AddHealthChecks();

        builder.Services.AddSingleton(WorkerIdentity.Current);
        builder.Services.AddTransient<HeartbeatJob>();
        builder.Services.AddHostedService<WorkerRegistration>();
        builder.Services.AddHostedService<JobCatalogue>();
        return builder;
    }

    public static WebApplication MapPortalJobs(this WebApplication app)
    {
        app.UseHttpMetrics();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapMetrics();
        return app;
    }
}
