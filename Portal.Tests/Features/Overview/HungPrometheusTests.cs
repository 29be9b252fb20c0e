using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Auth;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Overview;

/// <summary>
/// A Prometheus that accepts connections and never answers (a hung server, not a refused port): the Overview is served
/// with its Infrastructure panel still loading, instead of waiting out the Prometheus client's time-out for the whole page;
/// the portal starts without waiting it out either, and stops without waiting for a read in flight.
/// </summary>
public sealed class HungPrometheusTests : PortalOnFreshDatabase, IDisposable
{
    private readonly TcpListener hung = new(IPAddress.Loopback, 0);
    private readonly Stopwatch starting = new();

    protected override void Configure(Dictionary<string, string?> settings)
    {
        hung.Start(); // accepted by the kernel's backlog, never read
        settings["Prometheus:Url"] = $"http://127.0.0.1:{((IPEndPoint)hung.LocalEndpoint).Port}";
        settings["Prometheus:TimeoutSeconds"] = "30";
        starting.Start();
    }

    public void Dispose() => hung.Dispose();

    [Fact]
    public async Task Stop_PrometheusHungDuringARead_DoesNotWaitForIt()
    {
        using (var client = await App.SignedInClientAsync(PortalRoles.Viewer))
        {
            await client.GetStringAsync(new Uri("/", UriKind.Relative)); // the Overview's hosts feed now waits on Prometheus
        }
        var stopping = Stopwatch.StartNew();

        await App.DisposeAsync();

        // Without cancelling the read, the stop waits for its 30 s time-out.
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"the portal took {stopping.Elapsed} to stop");
    }

    [Fact]
    public async Task Overview_PrometheusHung_PageServed_InfrastructurePanelLoading()
    {
        // Started (the migrations, the SLA catalogue) without waiting out one Prometheus call: the catalogue is in
        // force, read as while Prometheus is away.
        Assert.True(starting.Elapsed < TimeSpan.FromSeconds(30), $"the portal took {starting.Elapsed} to start");
        var catalogue = App.Services.GetRequiredService<SlaCatalogueSource>();
        Assert.NotNull(catalogue.Current);
        using var client = await App.SignedInClientAsync(PortalRoles.Viewer);

        var page = await client.GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.Contains("data-dependency=\"postgresql\"", page, StringComparison.Ordinal);
        Assert.Contains("Loading the hosts", page, StringComparison.Ordinal);
        Assert.DoesNotContain("data-testid=\"infrastructure-error\"", page, StringComparison.Ordinal);
    }
}
