using System.Diagnostics;

namespace Portal.Tests.Infrastructure;

/// <summary>A private redis-server on a free loopback port, for tests that stop and restart Redis.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("portal-redis-").FullName;
    private Process? process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        var port = LoopbackPort.Free();

        var server = new RedisServer(port);
        await server.RestartAsync();
        return server;
    }

    public async Task RestartAsync()
    {
        process = Process.Start(new ProcessStartInfo("redis-server",
            ["--bind", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--dir", directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("redis-server did not start");
        await LoopbackPort.WaitUntilListeningAsync(Port, TimeSpan.FromSeconds(10), $"redis-server accepts connections on {Port}");
    }

    public async Task StopAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        process?.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
