using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Components;
using Portal.Features.Auth;
using Portal.Features.Jobs;
using Portal.Features.Lab;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Lab;

/// <summary>
/// The lab half of the baseline against real tools: the lab-checks job runs real Lighthouse (tools/browser, Debian's
/// Chromium) on the portal's own login page, on a page behind its login (through its sign-in script) and on a test
/// shop's page in both profiles, and stores what Lighthouse wrote; real autocannon loads the portal and its summary is
/// posted as CI would; bad uploads are refused naming the field, and nothing of them is stored.
/// </summary>
[StartEarly]
public sealed class LabChecksTests : PortalOnFreshDatabase
{
    private const string LabLogin = "lab-viewer";
    private const string LabPassword = "Lab-Viewer-Pass-1";

    private WebApplication? shop;
    private string catalogue = "";

    protected override void Configure(Dictionary<string, string?> settings)
    {
        catalogue = settings.WithLab();
        settings[$"Lab:Credentials:portal:Username"] = LabLogin;
        settings[$"Lab:Credentials:portal:Password"] = LabPassword;
    }

    protected override async Task SeedAsync(NpgsqlConnection connection)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        shop = builder.Build();
        shop.MapGet("/{**path}", () => Results.Content("""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Winter boots</title></head><body><h1>Winter boots</h1><p>Warm, waterproof, and on sale this week only.</p></body></html>
            """, "text/html"));
        await shop.StartAsync();
        await App.Services.GetRequiredService<UserStore>().CreateAsync(LabLogin, "Lab checks", PortalRoles.Viewer, PasswordSignIn.Hash(LabPassword), "local");

        // The portal's own pages at its address, one behind its login; the shop's in both profiles.
        await File.WriteAllTextAsync(catalogue, $"""
            services:
              - name: portal
                team: platform
                lab:
                  base_url: {App.BaseAddress}
                  sign_in: {Repository.File("tools/browser/sign-in-portal.mjs")}
                  public_pages: [/login]
                  pages: [/jobs]
              - name: shop
                team: web
                lab:
                  base_url: {shop.Urls.Single()}
                  profiles: [mobile, desktop]
                  pages: [/products/42]
            """);
        await App.Services.GetRequiredService<SlaCatalogueSource>().ReloadAsync();
    }

    public override async Task DisposeAsync()
    {
        if (shop is not null)
        {
            await shop.DisposeAsync();
        }
        await base.DisposeAsync();
    }

    private async Task<HttpClient> ClientAsync(string role)
    {
        var client = App.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await App.TokenAsync(role));
        return client;
    }

    [Fact]
    public async Task LabChecks_RealLighthouse_StoresTheScoresAndMetricsLighthouseWrote()
    {
        Assert.Equal(2, App.Services.GetRequiredService<SlaCatalogueSource>().Current!.Lab.Count);

        var outcome = await App.Services.GetRequiredService<LabChecks>().RunAsync(NoJobProgress.Instance, CancellationToken.None);

        Assert.Empty(outcome.Failures);
        Assert.Equal(4, outcome.Audited);
        using var client = await ClientAsync(PortalRoles.Viewer);
        var runs = (await client.GetFromJsonAsync<JsonElement>("/api/v1/lab/lighthouse?window=1h")).EnumerateArray().ToList();
        Assert.Equal(
            ["portal /jobs mobile", "portal /login mobile", "shop /products/42 desktop", "shop /products/42 mobile"],
            runs.Select(run => $"{run.GetProperty("service")} {run.GetProperty("page")} {run.GetProperty("result").GetProperty("profile")}").Order(StringComparer.Ordinal));
        foreach (var run in runs)
        {
            var stored = run.GetProperty("result");
            var report = await client.GetFromJsonAsync<JsonElement>($"/api/v1/lab/lighthouse/{run.GetProperty("id").GetInt64()}/report");
            var what = $"{run.GetProperty("service")} {run.GetProperty("page")} {stored.GetProperty("profile")}";
            Assert.False(report.TryGetProperty("runtimeError", out _), what);
            Assert.Equal(report.GetProperty("configSettings").GetProperty("formFactor").GetString(), stored.GetProperty("profile").GetString());
            Assert.Equal(report.GetProperty("lighthouseVersion").GetString(), stored.GetProperty("lighthouseVersion").GetString());
            Assert.Equal(DateTimeOffset.Parse(report.GetProperty("fetchTime").GetString()!, System.Globalization.CultureInfo.InvariantCulture), stored.GetProperty("fetchedAt").GetDateTimeOffset());
            foreach (var (category, field) in new[] { ("performance", "performance"), ("accessibility", "accessibility"), ("best-practices", "bestPractices"), ("seo", "seo") })
            {
                Assert.Equal(CleanNumbers.Of(report.GetProperty("categories").GetProperty(category).GetProperty("score").GetDouble()), stored.GetProperty(field).GetDouble());
            }
            foreach (var (audit, field) in new[] { ("largest-contentful-paint", "lcpMs"), ("total-blocking-time", "tbtMs"), ("cumulative-layout-shift", "cls"), ("first-contentful-paint", "fcpMs"), ("speed-index", "speedIndexMs") })
            {
                // The API writes 15 significant digits (CleanNumbers): Lighthouse's 764.9468999999999 is 764.9469.
                Assert.Equal(CleanNumbers.Of(report.GetProperty("audits").GetProperty(audit).GetProperty("numericValue").GetDouble()), stored.GetProperty(field).GetDouble());
            }
            var failing = report.GetProperty("audits").EnumerateObject()
                .Where(audit => audit.Value.TryGetProperty("score", out var score) && score.ValueKind == JsonValueKind.Number && score.GetDouble() < 0.9
                    && audit.Value.GetProperty("scoreDisplayMode").GetString() is "binary" or "numeric" or "metricSavings")
                .Select(audit => audit.Name).Order(StringComparer.Ordinal);
            Assert.Equal(failing, stored.GetProperty("failing").EnumerateArray().Select(audit => audit.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
            // The page audited is the page asked for: /jobs signed in through the sign-in script, not the login it redirects to.
            Assert.Equal(run.GetProperty("page").GetString(), new Uri(report.GetProperty("finalDisplayedUrl").GetString()!).AbsolutePath);
        }
    }

    [Fact]
    public async Task LoadTest_RealAutocannonAgainstThePortal_PostedAndListed()
    {
        var summary = await AutocannonAsync(new Uri(App.BaseAddress, "/healthz"), connections: 8, seconds: 1);
        using var developer = await ClientAsync(PortalRoles.Developer);

        using var posted = await developer.PostAsync("/api/v1/loadtests?service=portal&scenario=health-probe",
            new StringContent(summary.GetRawText(), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        using var viewer = await ClientAsync(PortalRoles.Viewer);
        var run = Assert.Single((await viewer.GetFromJsonAsync<JsonElement>("/api/v1/loadtests?window=1h")).EnumerateArray());
        Assert.Equal(("portal", "health-probe"), (run.GetProperty("service").GetString(), run.GetProperty("scenario").GetString()));
        var figures = run.GetProperty("run");
        Assert.Equal("autocannon", figures.GetProperty("tool").GetString());
        Assert.Equal(8, figures.GetProperty("users").GetInt32());
        Assert.Equal(summary.GetProperty("requests").GetProperty("total").GetInt64() + summary.GetProperty("errors").GetInt64(), figures.GetProperty("requests").GetInt64());
        Assert.True(figures.GetProperty("requests").GetInt64() > 100, "autocannon made requests");
        Assert.Equal(summary.GetProperty("non2xx").GetInt64() + summary.GetProperty("errors").GetInt64(), figures.GetProperty("errors").GetInt64());
        Assert.Equal(summary.GetProperty("latency").GetProperty("p50").GetDouble(), figures.GetProperty("percentiles").GetProperty("p50").GetDouble());
        Assert.Equal(summary.GetProperty("latency").GetProperty("p99").GetDouble(), figures.GetProperty("percentiles").GetProperty("p99").GetDouble());
        // The summary is kept as it was posted (Appendix A links it).
        var kept = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/loadtests/{run.GetProperty("id").GetInt64()}/summary");
        Assert.Equal(summary.GetProperty("start").GetString(), kept.GetProperty("start").GetString());
    }

    [Fact]
    public async Task Uploads_Invalid_RefusedNamingTheProblem_AndNothingStored()
    {
        using var developer = await ClientAsync(PortalRoles.Developer);
        async Task<(HttpStatusCode Status, string Detail)> PostAsync(string path, string json)
        {
            using var response = await developer.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            return (response.StatusCode, body.GetProperty("detail").GetString()!);
        }

        var refusals = new[]
        {
            (await PostAsync("/api/v1/loadtests?scenario=checkout", "{}"), "service is required"),
            (await PostAsync("/api/v1/loadtests?service=shop&scenario=check%20out", "{}"), "scenario takes"),
            (await PostAsync("/api/v1/loadtests?service=shop&scenario=checkout", """{"metrics": {"http_req_duration": {"med": 3}}}"""), "metrics.http_reqs.count"),
            (await PostAsync("/api/v1/loadtests?service=shop&scenario=checkout", "{\"metrics\": "), "not JSON"),
            (await PostAsync("/api/v1/lab/lighthouse?service=shop", """{"lighthouseVersion": "12.2.3", "requestedUrl": "http://shop.test/", "fetchTime": "2026-12-01T04:00:00Z", "categories": {}, "audits": {}}"""), "configSettings.formFactor"),
            (await PostAsync("/api/v1/lab/lighthouse?service=shop&page=checkout", "{}"), "page is a path"),
        };
        foreach (var ((status, detail), named) in refusals)
        {
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains(named, detail, StringComparison.Ordinal);
        }

        using var viewer = await ClientAsync(PortalRoles.Viewer);
        using var forbidden = await viewer.PostAsync("/api/v1/loadtests?service=shop&scenario=checkout",
            new StringContent(File.ReadAllText(Repository.File("Portal.UnitTests/Features/Lab/k6-summary-export.json")), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Empty((await viewer.GetFromJsonAsync<JsonElement>("/api/v1/loadtests?window=1h")).EnumerateArray());
        Assert.Empty((await viewer.GetFromJsonAsync<JsonElement>("/api/v1/lab/lighthouse?window=1h")).EnumerateArray());
    }

    /// <summary>Real autocannon (tools/browser) against <paramref name="url"/>: its --json output.</summary>
    public static async Task<JsonElement> AutocannonAsync(Uri url, int connections, int seconds)
    {
        var start = new ProcessStartInfo(Repository.File("tools/browser/node_modules/.bin/autocannon"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-c", connections.ToString(System.Globalization.CultureInfo.InvariantCulture), "-d", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-j", url.ToString() })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await errors);
        return JsonDocument.Parse(await output).RootElement.Clone();
    }
}
