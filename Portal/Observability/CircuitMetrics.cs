using Microsoft.AspNetCore.Components.Server.Circuits;
using Prometheus;

namespace Portal.Observability;

/// <summary>Counts open Blazor circuits (one per connected browser tab) for <c>/metrics</c>.</summary>
public sealed class CircuitMetrics : CircuitHandler
{
    private static readonly Gauge ActiveCircuits = Metrics.CreateGauge(
        "portal_blazor_circuits_active", "Blazor Server circuits currently open.");

    private static readonly Counter OpenedCircuits = Metrics.CreateCounter(
        "portal_blazor_circuits_opened_total", "Blazor Server circuits opened since the process started.");

    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        ActiveCircuits.Inc();
        OpenedCircuits.Inc();
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        ActiveCircuits.Dec();
        return Task.CompletedTask;
    }
}

public static class CircuitMetricsServiceCollectionExtensions
{
    public static IServiceCollection AddCircuitMetrics(this IServiceCollection services)
    {
        services.AddScoped<CircuitHandler, CircuitMetrics>();
        return services;
    }
}
