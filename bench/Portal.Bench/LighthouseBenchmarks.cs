using System.Diagnostics;
using System.Text.Json;

namespace Portal.Bench;

/// <summary>
/// The portal's own pages under real Lighthouse (tools/browser/audit.mjs: npm lighthouse 12.2.3, Debian's Chromium,
/// the default mobile profile), signed in, each page audited <c>rounds</c> times, medians. The web process is the
/// published build (as the image runs it: compressed, fingerprinted assets) on the benchmark's database. The baseline is
/// the login page audited in the same rounds: a static page with no circuit, so a page's total blocking time over the
/// login's is what its interactive render costs, whatever the machine's load.
/// </summary>
public static class LighthouseBenchmarks
{
    private static readonly string[] Pages = ["/", "/scorecards", "/queries", "/jobs", "/vitals", "/alerts", "/reports"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Audit(string Path, Dictionary<string, int?> Scores, double? TbtMs);

    public static async Task RunAsync(IServiceProvider services, int rounds = 3)
    {
        var folder = Directory.CreateTempSubdirectory("portal-bench-web-").FullName;
        try
        {
            await RunToEndAsync("dotnet", ["publish", Path.Combine(Repository.Root(), "Portal", "Portal.csproj"), "-c", "Release", "-o", Path.Combine(folder, "web"), "--nologo", "-v", "quiet"]);
            var address = $"http://127.0.0.1:{FreePort()}";
            var start = new ProcessStartInfo("dotnet", ["Portal.dll"]) { WorkingDirectory = Path.Combine(folder, "web"), RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["ASPNETCORE_URLS"] = address;
            start.Environment["ASPNETCORE_HTTP_PORTS"] = null;
            start.Environment["HOME"] = folder;
            // At the production pace (the benchmark's own settings are the portal's defaults).
            using var web = Process.Start(start) ?? throw new InvalidOperationException("the published web process did not start");
            web.OutputDataReceived += (_, _) => { };
            web.ErrorDataReceived += (_, _) => { };
            web.BeginOutputReadLine();
            web.BeginErrorReadLine();
            try
            {
                await ReadyAsync(web, address);
                var cookie = await LiveViewersBenchmarks.SignInAsync(services, address);
                await Task.Delay(TimeSpan.FromSeconds(5)); // start-up probes settle
                await MeasureAsync(address, cookie, rounds);
            }
            finally
            {
                web.Kill(entireProcessTree: true);
                await web.WaitForExitAsync();
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task MeasureAsync(string address, string cookie, int rounds)
    {
        var audits = new List<Audit>();
        for (var round = 0; round < rounds; round++)
        {
            // The baseline and the pages alternate within each round, so a burst of noise hits both alike.
            audits.AddRange(await AuditAsync(address, null, "/login"));
            audits.AddRange(await AuditAsync(address, cookie, Pages));
        }
        var login = Summarise(audits, "/login");
        Console.WriteLine($"{"lighthouse (mobile): /login, the baseline",-44} performance {login.Score,3}  TBT {login.TbtMs,5:N0} ms  ({rounds} rounds, medians)");
        foreach (var path in Pages)
        {
            var page = Summarise(audits, path);
            Console.WriteLine($"{"lighthouse (mobile): " + path,-44} performance {page.Score,3}  TBT {page.TbtMs,5:N0} ms  " +
                $"= {page.TbtMs / Math.Max(login.TbtMs, 1):F1}x /login's TBT, {page.Score - login.Score:+0;-0;0} points against its score");
        }
    }

    private static async Task ReadyAsync(Process web, string address)
    {
        using var probe = new HttpClient { BaseAddress = new Uri(address) };
        for (var attempt = 0; attempt < 120; attempt++)
        {
            if (web.HasExited)
            {
                throw new InvalidOperationException($"the published web process exited with {web.ExitCode}");
            }
            try
            {
                if ((await probe.GetAsync(new Uri("/healthz", UriKind.Relative))).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(500);
        }
        throw new TimeoutException("the published web process did not answer /healthz in a minute");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunToEndAsync(string file, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }

    private static (int Score, double TbtMs) Summarise(List<Audit> audits, string path)
    {
        var mine = audits.Where(audit => audit.Path == path).ToList();
        return ((int)Median(mine.Select(audit => (double)(audit.Scores["performance"] ?? 0))), Median(mine.Select(audit => audit.TbtMs ?? 0)));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static async Task<List<Audit>> AuditAsync(string address, string? cookie, params string[] paths)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = Path.Combine(Repository.Root(), "tools", "browser"), RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "audit.mjs", "--base", address }.Concat(cookie is null ? [] : ["--cookie", cookie]).Concat(paths))
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"audit.mjs exited with {process.ExitCode}: {await error}");
        }
        return JsonSerializer.Deserialize<List<Audit>>(await output, Json)!;
    }
}
