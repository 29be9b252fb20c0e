using System.Diagnostics;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// `./portal up --detach` itself, in a state folder of its own, on the test's services (configured PostgreSQL, Redis
/// and Prometheus, as an operator configures their own): the runner an operator uses, not a copy of it.
/// <c>./portal down</c> when disposed.
/// </summary>
public sealed class PortalUp : IAsyncDisposable
{
    private static readonly SemaphoreSlim UpGate = new(1, 1);

    private readonly Dictionary<string, string> environment;

    private PortalUp(string state, Uri baseAddress, Dictionary<string, string> environment, string output)
    {
        State = state;
        BaseAddress = baseAddress;
        this.environment = environment;
        Output = output;
    }

    public string State { get; }

    /// <summary>PORTAL_URLS: the portal, or HAProxy in front of its replicas.</summary>
    public Uri BaseAddress { get; }

    public string Output { get; }

    /// <param name="settings">The portal's settings, passed as environment variables (ConnectionStrings__Portal, …).</param>
    public static async Task<PortalUp> StartAsync(IReadOnlyDictionary<string, string?> settings, params string[] arguments)
    {
        var state = Directory.CreateTempSubdirectory("portal-up-").FullName;
        var port = LoopbackPort.Free();
        var environment = new Dictionary<string, string>
        {
            ["PORTAL_STATE"] = state,
            ["PORTAL_URLS"] = $"http://127.0.0.1:{port}",
        };
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value ?? "";
        }
        // One `up` at a time in this process: each publishes the checkout's projects (their obj/ and bin/ folders).
        await UpGate.WaitAsync();
        int code;
        string output;
        try
        {
            (code, output) = await RunAsync(environment, ["up", "--detach", .. arguments], TimeSpan.FromMinutes(6));
        }
        finally
        {
            UpGate.Release();
        }
        var up = new PortalUp(state, new Uri($"http://127.0.0.1:{port}"), environment, output);
        if (code != 0)
        {
            await up.DisposeAsync();
            throw new InvalidOperationException($"./portal up {string.Join(' ', arguments)} failed with exit code {code}:\n{output}\n{up.Logs()}");
        }
        return up;
    }

    /// <summary>A port the runner chose (its state folder's ports.env), e.g. WEB1_PORT.</summary>
    public int Port(string name) =>
        File.ReadAllLines(Path.Combine(State, "ports.env")).Select(line => line.Split('=', 2)).Where(pair => pair[0] == name)
            .Select(pair => int.Parse(pair[1], System.Globalization.CultureInfo.InvariantCulture)).Single();

    /// <summary>The process id the runner recorded for NAME (web1, haproxy, jobs…).</summary>
    public int ProcessId(string name) =>
        int.Parse(File.ReadAllText(Path.Combine(State, "run", name + ".pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The tail of each log of the run, for a failure message.</summary>
    public string Logs() => string.Join('\n', Directory.Exists(Path.Combine(State, "log"))
        ? Directory.EnumerateFiles(Path.Combine(State, "log"), "*.log")
            .Select(log => $"--- {Path.GetFileName(log)} ---\n" + string.Join('\n', File.ReadLines(log).TakeLast(15)))
        : []);

    /// <summary>Another `./portal` command on this run's state (token, slas check…): its exit code, standard output and standard error apart.</summary>
    public async Task<(int Code, string Output, string Errors)> CommandAsync(params string[] arguments)
    {
        var (code, output, errors) = await RunApartAsync(environment, arguments, TimeSpan.FromMinutes(3));
        return (code, output, errors);
    }

    private static async Task<(int Code, string Output)> RunAsync(Dictionary<string, string> environment, string[] arguments, TimeSpan within)
    {
        var (code, output, errors) = await RunApartAsync(environment, arguments, within);
        return (code, output + errors);
    }

    private static async Task<(int Code, string Output, string Errors)> RunApartAsync(Dictionary<string, string> environment, string[] arguments, TimeSpan within)
    {
        var start = new ProcessStartInfo("bash", [Repository.File("portal"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(Repository.File("portal")),
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {within}\n{await output}", await errors);
        }
        return (process.ExitCode, await output, await errors);
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync(environment, ["down"], TimeSpan.FromMinutes(2));
        try
        {
            Directory.Delete(State, recursive: true);
        }
        catch (IOException)
        {
            // A process that ignored `down` may still write its log; the folder is in the temporary folder anyway.
        }
    }
}
