using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Portal.Bench;

/// <summary>
/// Web Vitals ingestion through HAProxy (the configuration `./portal up --web N` runs) to two web replicas, and to
/// one, against one replica addressed directly — wrk on loopback, the same batch, in the same run. On 2 cores two
/// replicas cannot add throughput; what this measures is the proxy hop's cost and that nothing breaks.
/// </summary>
public static class ScaleOutBenchmarks
{
    public static async Task RunAsync(int seconds)
    {
        await using var first = await VitalsBenchmarks.StartPortalAsync();
        await using var second = await VitalsBenchmarks.StartPortalAsync();
        var script = await VitalsBenchmarks.WriteScriptAsync(first);
        var direct = first.Urls.Single();

        await using (var proxy = await Haproxy.StartAsync(Port(first), Port(second)))
        {
            var viaTwo = await VitalsBenchmarks.WrkAsync($"{proxy.Address}/api/v1/vitals", script, connections: 32, seconds);
            var straight = await VitalsBenchmarks.WrkAsync($"{direct}/api/v1/vitals", script, connections: 32, seconds);
            Report("vitals via HAProxy to 2 replicas, 32 conn.", viaTwo, straight);
        }
        await using (var proxy = await Haproxy.StartAsync(Port(first)))
        {
            var viaOne = await VitalsBenchmarks.WrkAsync($"{proxy.Address}/api/v1/vitals", script, connections: 32, seconds);
            var straight = await VitalsBenchmarks.WrkAsync($"{direct}/api/v1/vitals", script, connections: 32, seconds);
            Report("vitals via HAProxy to 1 replica, 32 conn.", viaOne, straight);
        }
        File.Delete(script);
    }

    private static void Report(string name, VitalsBenchmarks.WrkResult measured, VitalsBenchmarks.WrkResult baseline) =>
        Console.WriteLine($"{name,-44} {measured.EventsPerSecond / baseline.EventsPerSecond,8:F2}x 1 replica directly   " +
            $"({measured.EventsPerSecond:N0} vs {baseline.EventsPerSecond:N0} events/s; p99 {measured.P99Ms:F1} vs {baseline.P99Ms:F1} ms; " +
            $"{measured.Failures} and {baseline.Failures} non-202)");

    private static int Port(WebApplication app) => new Uri(app.Urls.Single()).Port;

    /// <summary>Debian's HAProxy with the runner's configuration (`./portal haproxy-config`), on a free loopback port.</summary>
    private sealed class Haproxy : IAsyncDisposable
    {
        private readonly Process process;
        private readonly string config;

        private Haproxy(Process process, string config, string address)
        {
            this.process = process;
            this.config = config;
            Address = address;
        }

        public string Address { get; }

        public static async Task<Haproxy> StartAsync(params int[] replicaPorts)
        {
            var port = FreePort();
            var portal = Path.Combine(Repository.Root(), "portal");
            var generate = Process.Start(new ProcessStartInfo("bash", [portal, "haproxy-config", $"127.0.0.1:{port}", .. replicaPorts.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))])
            {
                RedirectStandardOutput = true,
            })!;
            var text = await generate.StandardOutput.ReadToEndAsync();
            await generate.WaitForExitAsync();
            var config = Path.Combine(Path.GetTempPath(), $"haproxy-{Environment.ProcessId}-{port}.cfg");
            await File.WriteAllTextAsync(config, text);
            var haproxy = File.Exists("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : "haproxy";
            var process = Process.Start(new ProcessStartInfo(haproxy, ["-db", "-f", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var address = $"http://127.0.0.1:{port}";
            using var probe = new HttpClient();
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    if ((await probe.GetAsync($"{address}/healthz")).IsSuccessStatusCode) break;
                }
                catch (HttpRequestException) when (attempt < 100)
                {
                }
                await Task.Delay(100);
            }
            // Both replicas up in HAProxy's health checks before measuring (rise 2 × inter 2 s).
            await Task.Delay(TimeSpan.FromSeconds(5));
            return new Haproxy(process, config, address);
        }

        public async ValueTask DisposeAsync()
        {
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
            File.Delete(config);
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
