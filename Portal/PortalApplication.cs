using MudBlazor.Services;
using Portal.Components;
using Portal.Data;
using Portal.Features.Cache;
using Portal.Features.Health;
using Portal.Features.Jobs;
using Portal.Features.Prometheus;
using Portal.Observability;
using Prometheus;

namespace Portal;

/// <summary>Composition of the web process: services in <see cref="AddPortal"/>, the pipeline in <see cref="MapPortal"/>.</summary>
public static class PortalApplication
{
    public static WebApplicationBuilder AddPortal(this WebApplicationBuilder builder)
    {
        MetricsDefaults.Apply();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddCircuitMetrics();

        builder.Services.AddPortalData(builder.Configuration);
        builder.Services.AddPortalCache(builder.Configuration);
        builder.Services.AddPrometheusClient(builder.Configuration);
        builder.Services.AddJobStorage(builder.Configuration);
        builder.Services.AddDependencyHealth(builder.Configuration);
        builder.Services.AddProblemDetails();
        return builder;
    }

    public static WebApplication MapPortal(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }
        app.UseStatusCodePagesWithReExecute("/not-found");
        app.UseHttpMetrics();
        app.UseAntiforgery();

        app.MapStaticAssets();
        app.MapDependencyHealth();
        app.MapMetrics();
        app.MapJobDashboard();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
