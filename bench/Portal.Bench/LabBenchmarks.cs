using System.Diagnostics;
using Microsoft.Extensions.Options;
using Portal.Features.Jobs;
using Portal.Features.Lab;
using Portal.Features.Scorecards;

namespace Portal.Bench;

/// <summary>
/// The lab-checks job's wall time per page (real Lighthouse through tools/browser/audit.mjs, Debian's Chromium, mobile
/// profile: Chromium's start, the audit, reading and storing the report) against Chromium's own headless load of the
/// same pages (<c>chromium --headless --dump-dom</c>, one start per page), alternated in the same rounds, medians.
/// </summary>
public static class LabBenchmarks
{
    private static readonly string[] Pages = ["/", "/products/42", "/checkout"];

    public static async Task RunAsync(IServiceProvider services, int rounds = 3)
    {
        var site = WebApplication.CreateSlimBuilder();
        site.WebHost.UseUrls("http://127.0.0.1:0");
        site.Logging.ClearProviders();
        await using var shop = site.Build();
        shop.MapGet("/{**path}", (string? path) => Results.Content($$"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop /{{path}}</title>
            <style>body { font-family: sans-serif; margin: 2rem } .card { padding: 1rem; border: 1px solid #ccc }</style></head>
            <body><h1>Winter boots</h1><div class="card"><p>Warm, waterproof, and on sale this week only.</p><button>Add to cart</button></div></body></html>
            """, "text/html"));
        await shop.StartAsync();
        var address = shop.Urls.Single();

        var file = Path.Combine(Directory.CreateTempSubdirectory("portal-bench-lab-").FullName, "slas.yaml");
        await File.WriteAllTextAsync(file, $"services:\n  - name: bench-shop\n    team: web\n    lab:\n      base_url: {address}\n      public_pages: [{string.Join(", ", Pages)}]\n");
        var catalogue = new SlaCatalogueSource(Options.Create(new ScorecardOptions { CatalogueFile = file }), services.GetRequiredService<IHostEnvironment>(),
            services.GetRequiredService<SlaCatalogueCheck>(), services.GetRequiredService<ILogger<SlaCatalogueSource>>());
        await catalogue.ReloadAsync();
        var checks = new LabChecks(catalogue, services.GetRequiredService<LabResults>(),
            Options.Create(new LabOptions { ToolsPath = Path.Combine(Repository.Root(), "tools", "browser") }), services.GetRequiredService<IConfiguration>(),
            TimeProvider.System, services.GetRequiredService<ILogger<LabChecks>>());

        var job = new List<double>();
        var chromium = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var started = Stopwatch.GetTimestamp();
            var outcome = await checks.RunAsync(NoJobProgress.Instance, CancellationToken.None);
            if (outcome.Failures.Count > 0 || outcome.Audited != Pages.Length)
            {
                throw new InvalidOperationException($"the lab checks failed: {string.Join("; ", outcome.Failures)}");
            }
            job.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds / Pages.Length);
            foreach (var page in Pages)
            {
                started = Stopwatch.GetTimestamp();
                await HeadlessLoadAsync(new Uri(new Uri(address), page));
                chromium.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        var (perPage, load) = (Median(job), Median(chromium));
        Console.WriteLine($"{"lab checks: Lighthouse job per page",-44} {perPage,9:N0} ms  {"Chromium's headless load of the page",-40} {load,7:N0} ms  ratio {perPage / load:F1}x  ({rounds} rounds of {Pages.Length} pages, medians)");
    }

    // Chromium started for the page, the page loaded, its DOM written, Chromium gone: what one look at the page costs.
    private static async Task HeadlessLoadAsync(Uri page)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("CHROME_PATH") ?? "/usr/bin/chromium")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--dump-dom", page.ToString() })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || !(await output).Contains("Winter boots", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"chromium --dump-dom {page} exited with {process.ExitCode}");
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        var middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }
}
