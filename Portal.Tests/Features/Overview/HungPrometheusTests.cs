using System.Net;
using System.Net.Sockets;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Overview;

/// <summary>
/// A Prometheus that accepts connections and never answers (a hung server, not a refused port): the Overview is served
/// with its Infrastructure panel still loading, instead of waiting out the Prometheus client's time-out for the whole page.
/// </summary>
public sealed class HungPrometheusTests : PortalOnFreshDatabase, IDisposable
{
    private readonly TcpListener hung = new(IPAddress.Loopback, 0);

    protected override void Configure(Dictionary<string, string?> settings)
    {
        hung.Start(); // accepted by the kernel's backlog, never read
        settings["Prometheus:Url"] = $"http://127.0.0.1:{((IPEndPoint)hung.LocalEndpoint).Port}";
        settings["Prometheus:TimeoutSeconds"] = "10";
    }

    public void Dispose() => hung.Dispose();

    [Fact]
    public async Task Overview_PrometheusHung_PageServed_InfrastructurePanelLoading()
    {
        using var client = await App.SignedInClientAsync(PortalRoles.Viewer);

        var page = await client.GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.Contains("data-dependency=\"postgresql\"", page, StringComparison.Ordinal);
        Assert.Contains("Loading the hosts", page, StringComparison.Ordinal);
        Assert.DoesNotContain("data-testid=\"infrastructure-error\"", page, StringComparison.Ordinal);
    }
}
