using Dapper;
using Microsoft.Playwright;
using Npgsql;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

/// <summary>The Web Vitals page of an app with 60 pages: no flash of an empty page when the circuit connects, and a pages table that sorts, filters and shows more.</summary>
[StartEarly]
public sealed class VitalsPageBrowserTests(VitalsPageBrowserTests.Seeded fixture, Chromium chromium) : IClassFixture<VitalsPageBrowserTests.Seeded>, IClassFixture<Chromium>
{
    /// <summary>The app and its pages, seeded once for the class; the tests only read them.</summary>
    public sealed class Seeded : PortalOnFreshDatabase
    {
        public const int Pages = 60;

        // Page /p/{i} has i + 1 LCP samples of 1,000, 1,100, 1,200 … ms, received in the last half hour.
        protected override async Task SeedAsync(NpgsqlConnection connection)
        {
            await connection.ExecuteAsync("INSERT INTO vitals_apps (id, name, public_key, allowed_origins) VALUES ('shop', 'Shop', @key, '{}')", new { key = Portal.Features.Vitals.VitalsApps.NewKey() });
            for (var page = 0; page < Pages; page++)
            {
                for (var sample = 0; sample <= page; sample++)
                {
                    await connection.ExecuteAsync("""
                        INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, page, device)
                        VALUES ('shop', now() - interval '30 minutes', 'LCP', @value, @value, 'good', @id, @path, 'desktop')
                        """, new { value = 1_000.0 + 100 * sample, id = $"p{page}-{sample}", path = $"/p/{page}" });
                }
            }
        }
    }

    private const int Pages = Seeded.Pages;

    private PortalApp App => fixture.App;

    [Fact]
    public async Task VitalsPage_CircuitStarts_WithThePrerenderedReads_NoEmptyPageInBetween()
    {
        var page = await chromium.OpenAsync(App, PortalRoles.Viewer, "/");
        await Chromium.RecordShownTextAsync(page);
        await page.GotoAsync(new Uri(App.BaseAddress, "/vitals?app=shop&range=1h").ToString());
        await Chromium.WaitForCircuitAsync(page);
        await Expect(page.GetByTestId("pages-count")).ToHaveTextAsync($"{Pages} pages");
        await Task.Delay(500);

        // The circuit's first render used to have no app yet: "No such app" replaced the page until the reads returned.
        var seen = await Chromium.ShownTextAsync(page);
        Assert.NotEmpty(seen);
        Assert.DoesNotContain(seen, text => text.Contains("No such app", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PagesTable_SortsFiltersAndShowsMore()
    {
        var page = await chromium.OpenAsync(App, PortalRoles.Viewer, "/vitals?app=shop&range=1h");
        var table = page.GetByTestId("pages");
        var rows = table.Locator("tbody tr");
        var paths = table.Locator("tbody td[data-label=Page]");

        // Busiest first, 50 at a time.
        await Expect(rows).ToHaveCountAsync(50);
        await Expect(paths.First).ToHaveTextAsync("/p/59");
        await page.GetByTestId("more-pages").ClickAsync();
        await Expect(rows).ToHaveCountAsync(Pages);
        await Expect(page.GetByTestId("more-pages")).ToHaveCountAsync(0);

        // By samples, ascending: /p/0 with its one sample; its LCP p75 is that sample.
        await table.Locator("th", new() { HasText = "Samples" }).GetByRole(AriaRole.Button).ClickAsync();
        await Expect(paths.First).ToHaveTextAsync("/p/0");
        await Expect(rows.First.Locator("td[data-label=Samples]")).ToHaveTextAsync("1");

        // By LCP p75, descending: /p/59, whose p75 is percentile_cont(0.75) of 1,000 … 6,900 ms = 5,425 ms.
        var lcp = table.Locator("th", new() { HasText = "LCP p75" }).GetByRole(AriaRole.Button);
        await lcp.ClickAsync();
        await Expect(table.Locator("th", new() { HasText = "LCP p75" })).ToHaveAttributeAsync("aria-sort", "ascending");
        await lcp.ClickAsync();
        await Expect(table.Locator("th", new() { HasText = "LCP p75" })).ToHaveAttributeAsync("aria-sort", "descending");
        await Expect(paths.First).ToHaveTextAsync("/p/59");
        var p75 = Percentile75([.. Enumerable.Range(0, Pages).Select(sample => 1_000.0 + 100 * sample)]);
        await Expect(rows.First.Locator("td[data-label='LCP p75']")).ToHaveTextAsync($"{p75 / 1_000:0.00} s");

        // Filtered: /p/5 and /p/50 … /p/59.
        await page.GetByPlaceholder("Filter pages").FillAsync("/p/5");
        await Expect(rows).ToHaveCountAsync(11);
        await Expect(page.GetByTestId("pages-count")).ToHaveTextAsync($"11 of {Pages} pages");
        await page.GetByPlaceholder("Filter pages").FillAsync("/nothing");
        await Expect(page.GetByTestId("no-pages")).ToHaveTextAsync("No page matches the filter.");
    }

    // PostgreSQL's percentile_cont: linear interpolation between the two nearest ranks.
    private static double Percentile75(double[] sorted)
    {
        var rank = 0.75 * (sorted.Length - 1);
        var below = (int)Math.Floor(rank);
        return sorted[below] + (rank - below) * (sorted[Math.Min(below + 1, sorted.Length - 1)] - sorted[below]);
    }
}
