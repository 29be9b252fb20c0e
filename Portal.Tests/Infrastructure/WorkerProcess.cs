using System.Diagnostics;
using System.Text;

namespace Portal.Tests.Infrastructure;

/// <summary>A worker as its own operating-system process, for tests that run two or must kill one the hard way.</summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private WorkerProcess(Process process) => this.process = process;

    public int ProcessId => process.Id;

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
    public static WorkerProcess Start(IReadOnlyDictionary<string, string?> settings, string executable = "Portal.Jobs")
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, executable))
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var worker = new WorkerProcess(Process.Start(start) ?? throw new InvalidOperationException("Portal.Jobs did not start"));
        worker.process.OutputDataReceived += (_, line) => worker.Append(line.Data);
        worker.process.ErrorDataReceived += (_, line) => worker.Append(line.Data);
        worker.process.BeginOutputReadLine();
        worker.process.BeginErrorReadLine();
        return worker;
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
