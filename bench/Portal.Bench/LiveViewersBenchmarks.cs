using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.AspNetCore.Components.Server;
using Npgsql;
using Portal.Components.Live;
using Portal.Features.Auth;

namespace Portal.Bench;

/// <summary>
/// What a viewer of a live page costs: 1 and then 50 real Chromium tabs (tools/browser/viewers.mjs) on each live page
/// of a portal running in this process, and for each the statements PostgreSQL ran for the portal's database (from
/// pg_stat_statements), the web process's CPU and its managed heap after a full collection — compared in the same run.
/// Also the idle statements per second with nobody looking.
/// </summary>
public static partial class LiveViewersBenchmarks
{
    private static readonly (string Path, string Feed)[] Pages =
    [
        ("/", "overview-workers"),
        ("/jobs", "jobs?job=&outcome=&range=24h"),
        ("/cache", "cache?trend=24h"),
        ("/queries/activity", "live-activity?"),
        ("/alerts", "alerts"),
        ("/alerts/notifications", "notifications?status=&destination=&since=7d&q="),
        ("/scorecards", "scorecards?window="),
    ];

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    public static async Task RunAsync(TimeSpan window, int viewers = 50)
    {
        // A closed tab's circuit ends at once rather than after Blazor's 3-minute retention of disconnected circuits:
        // otherwise one page's 50 viewers would still be in the heap while the next page is measured with 1.
        await using var app = await VitalsBenchmarks.StartPortalAsync(pages: true,
            services: services => services.Configure<CircuitOptions>(options => options.DisconnectedCircuitMaxRetained = 0));
        var address = app.Urls.Single();
        var cookie = await SignInAsync(app.Services, address);
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        var feeds = app.Services.GetRequiredService<LiveFeeds>();

        await Task.Delay(TimeSpan.FromSeconds(5)); // start-up probes and migrations settle
        var idle = await MeasureAsync(dataSource, window);
        Console.WriteLine($"{"live pages: idle, nobody looking (web)",-44} {idle.Statements / window.TotalSeconds,8:F1} statements/s on the portal's database");
        await using (var worker = await StartWorkerAsync(dataSource))
        {
            var whole = await MeasureAsync(dataSource, window);
            Console.WriteLine($"{"live pages: idle, nobody looking (web + worker)",-44} {whole.Statements / window.TotalSeconds,8:F1} statements/s on the portal's database " +
                $"({whole.Statements / window.TotalMinutes:N0}/min; most run: {whole.Top})");
        }
        // The pages are measured without the worker: its jobs would add the same statements to both sides of each ratio.

        foreach (var (path, feed) in Pages)
        {
            var one = await WithViewersAsync(address, cookie, path, 1, () => MeasureAsync(dataSource, window));
            var many = await WithViewersAsync(address, cookie, path, viewers, async () =>
            {
                // The page's feed: its key, or for a key ending in '?' any of its filter sets (the target's name).
                var active = feeds.DescribeAll().Where(described => feed.EndsWith('?') ? described.Key.StartsWith(feed, StringComparison.Ordinal) : described.Key == feed).Sum(described => described.Active);
                var measured = await MeasureAsync(dataSource, window);
                return measured with { Active = active };
            });
            var cpuPerViewer = (many.CpuSeconds - one.CpuSeconds) / (viewers - 1) / window.TotalSeconds;
            var heapPerViewer = (many.HeapBytes - one.HeapBytes) / (viewers - 1);
            Console.WriteLine($"{$"live {path}: {viewers} viewers vs 1",-44} {(many.Statements + 1.0) / (one.Statements + 1.0),8:F2}x statements   " +
                $"({many.Statements / window.TotalMinutes:N0} vs {one.Statements / window.TotalMinutes:N0}/min; {many.Active} of {viewers} viewers following '{feed}'; " +
                $"CPU {cpuPerViewer * 100:F2} % of a core per extra viewer; heap {heapPerViewer / 1024.0:N0} KiB per extra circuit)");
            Console.WriteLine($"{"",-44} most run with {viewers}: {many.Top}");
        }
        await app.StopAsync();
    }

    /// <summary>
    /// Portal.Jobs as `./portal up` runs it beside the web process (same configuration, from the environment), once it
    /// has beaten; killed when disposed.
    /// </summary>
    private static async Task<WorkerProcess> StartWorkerAsync(NpgsqlDataSource dataSource)
    {
        var project = Path.Combine(Repository.Root(), "Portal.Jobs", "Portal.Jobs.csproj");
        var process = Process.Start(new ProcessStartInfo("dotnet", ["run", "--project", project, "-c", "Release", "--no-launch-profile"])
        {
            Environment = { ["Worker__Urls"] = "http://127.0.0.1:0", ["Logging__LogLevel__Default"] = "Warning" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("Portal.Jobs did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = DateTimeOffset.UtcNow;
        for (var waited = 0; waited < 180; waited++)
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            if (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM worker_heartbeats WHERE beat_at > @started", new { started }) > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(10)); // its first jobs and the schedulers settle
                return new WorkerProcess(process);
            }
            if (process.HasExited)
            {
                break;
            }
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("Portal.Jobs did not beat within 3 minutes");
    }

    private sealed class WorkerProcess(Process process) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    private sealed record Measured(long Statements, double CpuSeconds, long HeapBytes, int Active = 0, string Top = "");

    // Statements of the portal's database over the window, the process's CPU over it, and its heap after a full GC.
    private static async Task<Measured> MeasureAsync(NpgsqlDataSource dataSource, TimeSpan window)
    {
        var process = Process.GetCurrentProcess();
        var before = await StatementsAsync(dataSource);
        var cpu = process.TotalProcessorTime;
        await Task.Delay(window);
        process.Refresh();
        var cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
        var after = await StatementsAsync(dataSource);
        // Aggressive: also gives back what the shared array pools hold (render batches' buffers), which is not a circuit's.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        var grown = after.Select(row => (row.Key, Calls: row.Value - before.GetValueOrDefault(row.Key))).Where(row => row.Calls > 0).OrderByDescending(row => row.Calls).ToList();
        var top = string.Join("; ", grown.Take(3).Select(row => $"{row.Calls} × {row.Key[..Math.Min(60, row.Key.Length)]}"));
        return new Measured(grown.Sum(row => row.Calls) - 1, cpuSeconds, heap, Top: top); // minus the reading itself
    }

    // Calls per statement text of the portal's database (pg_stat_statements), to see what grew.
    private static async Task<Dictionary<string, long>> StatementsAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string Query, long Calls)>("""
            SELECT regexp_replace(query, '\s+', ' ', 'g'), sum(calls)::bigint FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) GROUP BY 1
            """);
        return rows.ToDictionary(row => row.Query, row => row.Calls);
    }

    private static async Task<Measured> WithViewersAsync(string address, string cookie, string path, int tabs, Func<Task<Measured>> measure)
    {
        var script = Path.Combine(Repository.Root(), "tools", "browser", "viewers.mjs");
        using var viewers = Process.Start(new ProcessStartInfo("node", [script, "--base", address, "--cookie", cookie, "--path", path, "--tabs", tabs.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("node did not start");
        var ready = await viewers.StandardOutput.ReadLineAsync();
        if (ready != $"ready {tabs}")
        {
            throw new InvalidOperationException($"{tabs} tabs on {path} did not open: {ready} {await viewers.StandardError.ReadToEndAsync()}");
        }
        await Task.Delay(TimeSpan.FromSeconds(5)); // the circuits' first renders done
        GC.Collect();
        var measured = await measure();
        viewers.StandardInput.Close();
        await viewers.WaitForExitAsync();
        await Task.Delay(TimeSpan.FromSeconds(3)); // the circuits end with their tabs
        return measured;
    }

    /// <summary>A new developer signed in through the login form: the portal's own cookie, as a Cookie header value.</summary>
    public static async Task<string> SignInAsync(IServiceProvider services, string address)
    {
        var password = $"bench-{Guid.NewGuid():N}";
        var login = $"viewer-{Guid.NewGuid():N}"[..20];
        // A developer sees every live page (Live activity needs the role; a viewer got its Forbidden page).
        await services.GetRequiredService<UserStore>().CreateAsync(login, "Live viewers benchmark", PortalRoles.Developer, PasswordSignIn.Hash(password), "local");
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(address) };
        var form = await client.GetStringAsync(new Uri("/login", UriKind.Relative));
        var token = WebUtility.HtmlDecode(AntiforgeryField().Match(form).Groups[1].Value);
        using var response = await client.PostAsync(new Uri("/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.Login"] = login,
            ["Input.Password"] = password,
        }));
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"sign-in answered {(int)response.StatusCode}");
        }
        return string.Join("; ", cookies.GetCookies(new Uri(address)).Select(c => $"{c.Name}={c.Value}"));
    }
}
