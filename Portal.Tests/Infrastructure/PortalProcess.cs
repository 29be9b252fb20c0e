using System.Diagnostics;
using System.Text;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// A portal process as its own operating-system process: a worker (for tests that run two or must kill one the hard
/// way), or a published web or worker build run as its container or `./portal up` would run it.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private PortalProcess(Process process) => this.process = process;

    public int ProcessId => process.Id;

    public bool HasExited => process.HasExited;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <param name="executable">Portal.Jobs itself, or Portal.Tests.Worker (the same worker with the test jobs).</param>
    public static PortalProcess StartWorker(IReadOnlyDictionary<string, string?> settings, string executable = "Portal.Jobs")
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, executable)) { WorkingDirectory = AppContext.BaseDirectory };
        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        return Start(start, settings);
    }

    /// <summary>
    /// <c>dotnet <paramref name="assembly"/></c> in the published folder, as the Dockerfile's entry point runs it: Production,
    /// settings as environment variables, and <paramref name="home"/> as its home folder (a folder of its own, or one
    /// that does not exist, as in a container).
    /// </summary>
    public static PortalProcess StartPublished(string folder, string assembly, IReadOnlyDictionary<string, string?> settings, string home)
    {
        var start = new ProcessStartInfo("dotnet", [assembly]) { WorkingDirectory = folder };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["HOME"] = home;
        start.Environment["DOTNET_CLI_HOME"] = home;
        return Start(start, settings);
    }

    private static PortalProcess Start(ProcessStartInfo start, IReadOnlyDictionary<string, string?> settings)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var child = new PortalProcess(Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start"));
        child.process.OutputDataReceived += (_, line) => child.Append(line.Data);
        child.process.ErrorDataReceived += (_, line) => child.Append(line.Data);
        child.process.BeginOutputReadLine();
        child.process.BeginErrorReadLine();
        return child;
    }

    private void Append(string? line)
    {
        lock (output)
        {
            output.AppendLine(line);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, as when the machine or the runtime dies.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
    }
}
