using Portal.Features.Lab;
using Portal.Features.Vitals;
using Portal.Features.Queries;
using MudBlazor.Services;
using Portal.Components;
using Portal.Components.Live;
using Portal.Data;
using Portal.Features.Alerts;
using Portal.Features.Reports;
using Portal.Features.Audit;
using Portal.Features.Auth;
using Portal.Features.Cache;
using Portal.Features.Health;
using Portal.Features.Jobs;
using Portal.Features.Prometheus;
using Portal.Features.Scorecards;
using Portal.Hosting;
using Portal.Observability;
using Prometheus;

namespace Portal;

/// <summary>Composition of the web process: services in <see cref="AddPortal"/>, the pipeline in <see cref="MapPortal"/>.</summary>
public static class PortalApplication
{
    public static WebApplicationBuilder AddPortal(this WebApplicationBuilder builder)
    {
        MetricsDefaults.Apply();
        // Every registered service must be constructible at start, in every environment (not only Development).
        builder.Host.UseDefaultServiceProvider(options => (options.ValidateOnBuild, options.ValidateScopes) = (true, true));
        builder.Services.AddOutboundHttpLog();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents()
            // The circuit starts with one message from the browser that carries the prerendered pages' reads back
            // (PrerenderedReads, up to 24 KB of JSON, ~43 KB encoded); SignalR's default limit is 32 KB.
            .AddHubOptions(hub => hub.MaximumReceiveMessageSize = PrerenderedReads.MaxCircuitStartBytes);
        builder.Services.AddMudServices();
        builder.Services.AddCircuitMetrics();
        builder.Services.AddLiveFeeds();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new Components.CleanNumbers.JsonConverter()));
        builder.Services.AddTrustedProxies(builder.Configuration);
        builder.Services.AddPageCompression();

        builder.Services.AddPortalData(builder.Configuration);
        builder.Services.AddPortalAuth(builder.Configuration);
        builder.Services.AddPortalCache(builder.Configuration);
        builder.Services.AddPrometheusClient(builder.Configuration);
        builder.Services.AddQueryStatistics(builder.Configuration);
        builder.Services.AddWebVitals(builder.Configuration);
        builder.Services.AddWebVitalsIngestion();
        builder.Services.AddScorecards(builder.Configuration);
        builder.Services.AddAlerts(builder.Configuration);
        builder.Services.AddReports(builder.Configuration);
        builder.Services.AddLab(builder.Configuration);
        builder.Services.AddJobStorage(builder.Configuration);
        builder.Services.AddDependencyHealth(builder.Configuration);
        return builder;
    }

    public static WebApplication MapPortal(this WebApplication app)
    {
        app.UseTrustedProxies();
        app.UseSecurityHeaders();
        app.UsePageCompression();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }
        // API errors without a body get a problem-details body; pages get the portal's status page.
        app.UseWhen(context => ApiProblems.IsApi(context.Request), api => api.UseStatusCodePages());
        app.UseWhen(context => !ApiProblems.IsApi(context.Request), pages => pages.UseStatusCodePagesWithReExecute("/status/{0}"));
        // Routing after the error pages, so a re-executed request (/error, /status/403) is routed again.
        app.UseRouting();
        app.UseHttpMetrics();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseCrossSiteRequestGuard();
        app.UseAntiforgery();

        // Other sites' pages load the Web Vitals snippet as a module script, which browsers fetch with CORS.
        app.Use((context, next) =>
        {
            if (context.Request.Path.Value is { } path && (path.StartsWith("/vitals.", StringComparison.Ordinal) || path.StartsWith("/lib/web-vitals/", StringComparison.Ordinal)))
            {
                context.Response.Headers.AccessControlAllowOrigin = "*";
            }
            return next();
        });
        app.MapStaticAssets().AllowAnonymous();
        app.MapDependencyHealth();
        app.MapMetrics().AllowAnonymous();
        app.MapJobDashboard();
        app.MapPortalAuth();
        app.MapAuditApi();
        app.MapJobsApi();
        app.MapPrometheusApi();
        app.MapCacheApi();
        app.MapQueriesApi();
        app.MapVitalsApi();
        app.MapScorecardsApi();
        app.MapAlertsApi();
        app.MapReportsApi();
        app.MapLabApi();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
