using System.Diagnostics;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Health;

public sealed class MetricsTests(RunningPortalFixture fixture) : IClassFixture<RunningPortalFixture>
{
    private RunningPortal Running => fixture.Running;

    private static async Task<(int ExitCode, string Output)> PromtoolCheckAsync(string exposition)
    {
        using var promtool = Process.Start(new ProcessStartInfo("promtool", ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await promtool.StandardInput.WriteAsync(exposition);
        promtool.StandardInput.Close();
        var output = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();
        return (promtool.ExitCode, output);
    }

    [Fact]
    public async Task Metrics_Portal_PassesPromtoolAndCarriesRouteHistogramAndOwnMeters()
    {
        using var http = Running.Portal.CreateHttpClient();
        using var signedIn = await Running.Portal.SignedInClientAsync(PortalRoles.Viewer);
        (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).EnsureSuccessStatusCode();
        (await signedIn.GetAsync(new Uri("/no-such-page", UriKind.Relative))).Dispose();

        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var (exitCode, output) = await PromtoolCheckAsync(metrics);

        Assert.True(exitCode == 0, $"promtool check metrics failed:\n{output}");
        Assert.Contains("http_request_duration_seconds_bucket{code=\"200\",method=\"GET\",controller=\"\",action=\"\",endpoint=\"/healthz\"", metrics, StringComparison.Ordinal);
        Assert.Contains("code=\"404\"", metrics, StringComparison.Ordinal);
        Assert.Contains("portal_blazor_circuits_active ", metrics, StringComparison.Ordinal);
        Assert.Contains("process_cpu_seconds_total ", metrics, StringComparison.Ordinal);
        Assert.Contains("process_working_set_bytes ", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet_collection_count_total{generation=\"0\"}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_Worker_PassesPromtool()
    {
        using var http = new HttpClient { BaseAddress = Running.Worker.BaseAddress };

        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var (exitCode, output) = await PromtoolCheckAsync(metrics);

        Assert.True(exitCode == 0, $"promtool check metrics failed:\n{output}");
        Assert.Contains("process_cpu_seconds_total ", metrics, StringComparison.Ordinal);
    }
}
