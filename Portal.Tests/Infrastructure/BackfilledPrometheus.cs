using System.Diagnostics;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// A private Prometheus whose data is exactly the OpenMetrics text a test wrote: backfilled with
/// <c>promtool tsdb create-blocks-from openmetrics</c> before the server starts, and scraping nothing.
/// </summary>
public sealed class BackfilledPrometheus : IAsyncDisposable
{
    private readonly string directory;
    private readonly Process process;

    private BackfilledPrometheus(string directory, Process process, int port)
    {
        this.directory = directory;
        this.process = process;
        Url = $"http://127.0.0.1:{port}";
    }

    public string Url { get; }

    public static async Task<BackfilledPrometheus> StartAsync(string openMetrics)
    {
        var directory = Directory.CreateTempSubdirectory("portal-prometheus-").FullName;
        var input = Path.Combine(directory, "series.om");
        await File.WriteAllTextAsync(input, openMetrics);
        var data = Path.Combine(directory, "data");
        await RunAsync("promtool", "tsdb", "create-blocks-from", "openmetrics", input, data);

        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, "global:\n  scrape_interval: 15s\nscrape_configs: []\n");
        var port = LoopbackPort.Free();

        var process = Process.Start(new ProcessStartInfo("prometheus",
            [$"--config.file={config}", $"--storage.tsdb.path={data}", $"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=3650d"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var prometheus = new BackfilledPrometheus(directory, process, port);
        using var http = new HttpClient();
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                return (await http.GetAsync(new Uri($"{prometheus.Url}/-/ready"))).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "the backfilled Prometheus is ready");
        return prometheus;
    }

    private static async Task RunAsync(string command, params string[] arguments)
    {
        using var tool = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await tool.StandardOutput.ReadToEndAsync() + await tool.StandardError.ReadToEndAsync();
        await tool.WaitForExitAsync();
        if (tool.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed:\n{output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        process.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
