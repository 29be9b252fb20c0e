using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Deployment;

/// <summary>
/// The organisation's own scrape jobs survive `./portal up`: the bundled Prometheus (no Prometheus:Url configured)
/// scrapes the jobs of the scrape file (PORTAL_SCRAPE_FILE; scrape.yaml in the checkout by default) beside the portal's,
/// and a file Prometheus would refuse stops `up` with promtool's reason before anything else starts.
/// </summary>
[StartEarly]
public sealed class ScrapeFileTests
{
    [Fact]
    public async Task Up_ScrapesTheOrganisationsJobs_AndRefusesAFilePrometheusWouldRefuse()
    {
        // An exporter of the organisation's: one counter.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var exporter = builder.Build();
        exporter.MapGet("/metrics", () => Results.Text("# TYPE shop_orders_total counter\nshop_orders_total 42\n", "text/plain; version=0.0.4"));
        await exporter.StartAsync();
        var target = new Uri(exporter.Urls.Single()).Authority;

        var folder = Directory.CreateTempSubdirectory("portal-scrape-").FullName;
        var scrapeFile = Path.Combine(folder, "scrape.yaml");
        // Items at the first column and a comment: re-indented under the generated list.
        await File.WriteAllTextAsync(scrapeFile, $"""
            # the shop's exporters
            scrape_configs:
            - job_name: shop
              scrape_interval: 1s
              static_configs:
                - targets: ["{target}"]
                  labels: {"{"} service: shop {"}"}
            """);
        await using var database = await TestDatabase.CreateAsync();
        var settings = PortalSettings.For(database);
        var up = await PortalUp.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Portal"] = settings["ConnectionStrings:Portal"],
            ["ConnectionStrings:Redis"] = settings["ConnectionStrings:Redis"],
            ["PORTAL_ADMIN_PASSWORD"] = "scrape-Admin-1",
            ["PORTAL_SCRAPE_FILE"] = scrapeFile,
        });
        await using (up)
        {
            Assert.Contains($"scrape jobs of {scrapeFile}: shop", up.Output, StringComparison.Ordinal);
            using var prometheus = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{up.Port("PROMETHEUS_PORT")}") };
            await Eventually.HoldsAsync(async () =>
            {
                using var answer = JsonDocument.Parse(await prometheus.GetStringAsync(new Uri("/api/v1/query?query=shop_orders_total", UriKind.Relative)));
                return answer.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Any(series =>
                    series.GetProperty("metric").GetProperty("job").GetString() == "shop"
                    && series.GetProperty("metric").GetProperty("service").GetString() == "shop"
                    && series.GetProperty("value")[1].GetString() == "42");
            }, TimeSpan.FromSeconds(30), "the bundled Prometheus scrapes the organisation's job");
            // The portal's own jobs are still there beside it.
            var configuration = await File.ReadAllTextAsync(Path.Combine(up.State, "prometheus.yml"));
            Assert.Contains("job_name: portal-jobs", configuration, StringComparison.Ordinal);
            Assert.Contains($"your own scrape jobs go in {scrapeFile}", configuration, StringComparison.Ordinal);

            // A job named like one of the portal's: Prometheus would refuse the whole configuration, so `up` stops, saying why.
            Assert.Equal(0, (await up.CommandAsync("down")).Code);
            await File.AppendAllTextAsync(scrapeFile, "\n- job_name: portal\n  static_configs: [{ targets: [\"127.0.0.1:9\"] }]\n");
            var (code, output, errors) = await up.CommandAsync("up", "--detach");
            Assert.Equal(1, code);
            Assert.Contains($"Prometheus refuses its configuration with the scrape jobs of {scrapeFile}", errors, StringComparison.Ordinal);
            Assert.Contains("found multiple scrape configs with job name \"portal\"", errors, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(up.State, "run", "web.pid")) && IsAlive(Path.Combine(up.State, "run", "web.pid")), output);
        }
        Directory.Delete(folder, recursive: true);
    }

    private static bool IsAlive(string pidFile) => Directory.Exists($"/proc/{File.ReadAllText(pidFile).Trim()}");
}
