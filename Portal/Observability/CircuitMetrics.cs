using Microsoft.AspNetCore.Components.Server.Circuits;
using Prometheus;

namespace Portal.Observability;

/// <summary>Blazor circuit counters for <c>/metrics</c>, created at start-up so they are exported (as 0) before the first visitor.</summary>
public sealed class CircuitCounters
{
    public Gauge Active { get; } = Metrics.CreateGauge(
        "portal_blazor_circuits_active", "Blazor Server circuits currently open (one per connected browser tab).");

    public Counter Opened { get; } = Metrics.CreateCounter(
        "portal_blazor_circuits_opened_total", "Blazor Server circuits opened since the process started.");
}

/// <summary>Counts circuits as they open and close.</summary>
public sealed class CircuitMetrics(CircuitCounters counters) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        counters.Active.Inc();
        counters.Opened.Inc();
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        counters.Active.Dec();
        return Task.CompletedTask;
    }
}

public static class CircuitMetricsServiceCollectionExtensions
{
    public static IServiceCollection AddCircuitMetrics(this IServiceCollection services)
    {
        services.AddSingleton(new CircuitCounters());
        services.AddScoped<CircuitHandler, CircuitMetrics>();
        return services;
    }
}
