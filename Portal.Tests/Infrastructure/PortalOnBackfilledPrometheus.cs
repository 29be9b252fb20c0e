namespace Portal.Tests.Infrastructure;

/// <summary>A portal on a fresh database whose Prometheus holds exactly the OpenMetrics text of <see cref="OpenMetrics"/> (a class fixture's base).</summary>
public abstract class PortalOnBackfilledPrometheus : PortalOnFreshDatabase
{
    private BackfilledPrometheus prometheus = null!;

    /// <summary>The series the test worked out by hand.</summary>
    protected abstract string OpenMetrics();

    protected override void Configure(Dictionary<string, string?> settings)
    {
        prometheus = BackfilledPrometheus.StartAsync(OpenMetrics()).GetAwaiter().GetResult();
        settings["Prometheus:Url"] = prometheus.Url;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await prometheus.DisposeAsync();
    }
}
