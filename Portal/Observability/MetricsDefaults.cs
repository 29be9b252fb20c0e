using Prometheus;

namespace Portal.Observability;

public static class MetricsDefaults
{
    /// <summary>
    /// Keeps prometheus-net's process and runtime collectors (CPU, memory, GC) and drops its EventCounter and Meter
    /// adapters: the names they derive (<c>npgsql_db_client_connection_count</c> as a gauge, a gauge ending in
    /// <c>_total</c>) fail <c>promtool check metrics</c>. Must run before the first metric is created.
    /// </summary>
    public static void Apply() => Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions
    {
        SuppressEventCounters = true,
        SuppressMeters = true,
        SuppressDebugMetrics = true,
    });
}
