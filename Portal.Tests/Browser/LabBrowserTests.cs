using System.Net.Http.Headers;
using System.Text;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Jobs;
using Portal.Features.Lab;
using Portal.Features.Scorecards;
using Portal.Components;
using Portal.Tests.Features.Lab;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

/// <summary>
/// The Lab and Load tests pages as a developer meets them: the portal's login page audited by real Lighthouse (and
/// three earlier runs), a shop's page posted by CI; a real autocannon run and a k6 summary posted to the API.
/// </summary>
[StartEarly]
public sealed class LabBrowserTests(LabBrowserTests.Seeded fixture, Chromium chromium) : IClassFixture<LabBrowserTests.Seeded>, IClassFixture<Chromium>
{
    /// <summary>The audited and posted runs, made once for the class (a real Lighthouse audit and autocannon run); the tests only read them.</summary>
    public sealed class Seeded : PortalOnFreshDatabase
    {
        private string catalogue = "";

        protected override void Configure(Dictionary<string, string?> settings)
        {
            catalogue = settings.WithLab();
        }

        protected override async Task SeedAsync(NpgsqlConnection connection)
        {
            await File.WriteAllTextAsync(catalogue, $"services:\n  - name: portal\n    team: platform\n    lab:\n      base_url: {App.BaseAddress}\n      public_pages: [/login]\n");
            await App.Services.GetRequiredService<SlaCatalogueSource>().ReloadAsync();
            var outcome = await App.Services.GetRequiredService<LabChecks>().RunAsync(NoJobProgress.Instance, CancellationToken.None);
            Assert.Empty(outcome.Failures);
            // Three earlier nights of /login, and a shop page from CI.
            foreach (var (days, score) in new[] { (3, 0.72), (2, 0.81), (1, 0.88) })
            {
                await connection.ExecuteAsync("""
                    INSERT INTO lab_lighthouse_runs (service, page, profile, url, source, fetched_at, lighthouse, performance, accessibility, best_practices, seo, lcp_ms, tbt_ms, cls, fcp_ms, speed_index_ms)
                    VALUES ('portal', '/login', 'mobile', 'http://portal/login', 'scheduled', now() - make_interval(days => @days), '12.2.3', @score, 1, 1, 0.82, 2100, 90, 0, 1500, 2000)
                    """, new { days, score });
            }
            await connection.ExecuteAsync("""
                INSERT INTO lab_lighthouse_runs (service, page, profile, url, source, fetched_at, lighthouse, performance, accessibility, best_practices, seo, lcp_ms, tbt_ms, cls, fcp_ms, speed_index_ms, failing)
                VALUES ('shop', '/checkout', 'mobile', 'https://shop.test/checkout', 'api', now() - interval '2 hours', '12.2.3', 0.42, 0.88, 0.92, 0.9, 5400, 900, 0.21, 2600, 6100,
                        '[{"id":"render-blocking-resources","title":"Eliminate render-blocking resources","score":0,"displayValue":"Est savings of 1,200 ms"}]')
                """);

            using var client = App.CreateHttpClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await App.TokenAsync(PortalRoles.Developer));
            var summaries = new[]
            {
                ("login-page", (await LabChecksTests.AutocannonAsync(new Uri(App.BaseAddress, "/login"), connections: 10, seconds: 1)).GetRawText()),
                ("browse-catalogue", await File.ReadAllTextAsync(Repository.File("Portal.UnitTests/Features/Lab/k6-handle-summary.json"))),
            };
            foreach (var (scenario, summary) in summaries)
            {
                using var posted = await client.PostAsync($"/api/v1/loadtests?service=portal&scenario={scenario}", new StringContent(summary, Encoding.UTF8, "application/json"));
                posted.EnsureSuccessStatusCode();
            }
        }
    }

    private PortalApp App => fixture.App;

    [Fact]
    public async Task Lab_LastRunsBesideTheTrendAndAudits_TheReportInLighthousesOwnViewer()
    {
        var run = (await App.Services.GetRequiredService<LabResults>().LatestLighthouseAsync(DateTimeOffset.UtcNow, "portal")).Single();
        var page = await chromium.OpenAsync(App, PortalRoles.Viewer, "/lab");

        var rows = page.GetByTestId("lab-pages").Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Nth(0)).ToContainTextAsync("portal /login");
        await Expect(rows.Nth(0)).ToContainTextAsync(LabScores.Format(run.Result.Performance));
        await Expect(rows.Nth(1)).ToContainTextAsync("shop /checkout");
        await Expect(rows.Nth(1).Locator(".rating-poor").First).ToHaveTextAsync("42");
        await Expect(page.GetByTestId("selected-page")).ToContainTextAsync("/login");
        await Expect(page.GetByTestId("lab-trend").Locator("canvas")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("lab-versus")).ToContainTextAsync("LCP");

        // Sorting by performance puts the shop's 42 first; its page shows its failing audit.
        await page.Locator("[data-sort=performance]").ClickAsync();
        await Expect(rows.Nth(0)).ToContainTextAsync("shop /checkout");
        await rows.Nth(0).GetByRole(Microsoft.Playwright.AriaRole.Link).First.ClickAsync();
        await Expect(page.GetByTestId("selected-page")).ToContainTextAsync("/checkout");
        await Expect(page.GetByTestId("failing-audits")).ToContainTextAsync("Eliminate render-blocking resources — Est savings of 1,200 ms");
        await page.GotoAsync(new Uri(App.BaseAddress, PortalLinks.LabPage("portal", "/login")).ToString());
        await Chromium.WaitForCircuitAsync(page);
        await Expect(page.GetByTestId("lab-trend").Locator("canvas")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(page, "lab", fullPage: true);

        // The stored report, in Lighthouse's own viewer, in a sandbox of its own.
        var report = await page.GotoAsync(new Uri(App.BaseAddress, PortalLinks.LabRun(run.Id)).ToString());
        Assert.StartsWith("sandbox allow-scripts", report!.Headers["content-security-policy"], StringComparison.Ordinal);
        await Expect(page.Locator("a.lh-gauge__wrapper[href=\"#performance\"] .lh-gauge__percentage").First).ToHaveTextAsync(LabScores.Format(run.Result.Performance));
        await Expect(page.Locator(".lh-report")).ToContainTextAsync("Largest Contentful Paint");
    }

    [Fact]
    public async Task LoadTests_RunsPerScenario_AndTheReadinessVerdict()
    {
        var page = await chromium.OpenAsync(App, PortalRoles.Viewer, "/lab/load-tests");

        await Expect(page.GetByTestId("readiness")).ToContainTextAsync("Ready for 1,000+ users: Yes — browse-catalogue at 1,000 concurrent users (k6");
        var rows = page.GetByTestId("load-tests").Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("load-trend").Locator("canvas")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(page, "load-tests", fullPage: true);

        await page.Locator("[data-sort=users]").ClickAsync();
        await Expect(rows.Nth(0)).ToContainTextAsync("login-page");
        await Expect(rows.Nth(0)).ToContainTextAsync("autocannon");
        await Expect(rows.Nth(0).GetByTestId("change")).ToHaveTextAsync("first run");
        await Expect(rows.Nth(1)).ToContainTextAsync("1,000");
        await Expect(rows.Nth(1)).ToContainTextAsync("180.9 ms");
    }
}
