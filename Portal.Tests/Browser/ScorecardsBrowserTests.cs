using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Jobs;
using Portal.Features.Queries;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

/// <summary>
/// A manager's path through the scorecards: a checkout service whose order lookup a workload slowed down three hours
/// ago (snapshots moved back in time, as if taken then), evaluated by the scorecard job's own code.
/// </summary>
public sealed class ScorecardsBrowserTests(Chromium chromium) : PortalOnFreshDatabase, IClassFixture<Chromium>
{
    private readonly string catalogue = Path.Combine(Directory.CreateTempSubdirectory("portal-slas-").FullName, "slas.yaml");

    protected override void Configure(Dictionary<string, string?> settings)
    {
        File.WriteAllText(catalogue, $$"""
            services:
              - name: checkout
                team: payments
                objectives:
                  - id: checkout-order-lookups
                    title: Order lookups stay fast
                    priority: P1
                    window: 7d
                    sli: { kind: query, target: portal, database: {{Database.Name}}, pattern: sli_orders, mean_below: 20ms, objective: 99% }
              - name: portal
                team: platform
                objectives:
                  - id: portal-jobs-fresh
                    title: Every background job is fresh
                    priority: P1
                    window: 7d
                    sli: { kind: job, job: "*" }
            """);
        settings["Scorecards:CatalogueFile"] = catalogue;
    }

    protected override async Task SeedAsync(NpgsqlConnection connection)
    {
        await connection.ExecuteAsync("CREATE TABLE sli_orders (id int PRIMARY KEY, total numeric); INSERT INTO sli_orders SELECT i, i FROM generate_series(1, 1000) i;");
        var snapshots = App.Services.GetRequiredService<QuerySnapshots>();
        await snapshots.TakeAsync(QueryOptions.PortalTarget);
        await LookUpAsync(connection, pause: 0);
        await snapshots.TakeAsync(QueryOptions.PortalTarget);
        await LookUpAsync(connection, pause: 0.04); // the slowdown: 40 ms a lookup against a 20 ms objective
        await snapshots.TakeAsync(QueryOptions.PortalTarget);

        // The three snapshots as if taken around an hour three hours ago: before it, just before it, in it.
        var hour = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date.AddHours(DateTimeOffset.UtcNow.UtcDateTime.Hour - 3), TimeSpan.Zero);
        DateTimeOffset[] times = [hour.AddMinutes(-55), hour.AddMinutes(-5), hour.AddMinutes(30)];
        var taken = (await connection.QueryAsync<DateTime>("SELECT taken_at FROM query_snapshots ORDER BY taken_at")).ToList();
        foreach (var (was, now) in taken.Zip(times))
        {
            await connection.ExecuteAsync("""
                UPDATE query_totals SET taken_at = @now WHERE taken_at = @was;
                UPDATE query_snapshots SET taken_at = @now WHERE taken_at = @was;
                """, new { was, now });
        }
        await App.Services.GetRequiredService<ScorecardEvaluation>().RunAsync(NoJobProgress.Instance, CancellationToken.None);
    }

    private static async Task LookUpAsync(NpgsqlConnection connection, double pause)
    {
        for (var id = 1; id <= 20; id++)
        {
            await connection.ExecuteAsync("SELECT id, total, pg_sleep(@pause) FROM sli_orders WHERE id = @id", new { id, pause });
        }
    }


    [Fact]
    public async Task Manager_FiltersByTeam_OpensTheBreachedObjective_SeesTheSlowedStatement()
    {
        var page = await chromium.OpenAsync(App, PortalRoles.Viewer, "/scorecards");

        await Expect(page.Locator("[data-service=checkout] [data-objective=checkout-order-lookups]")).ToHaveAttributeAsync("data-status", "breached");
        await Expect(page.Locator("[data-service=portal]")).ToHaveCountAsync(1);
        await Chromium.ScreenshotAsync(page, "scorecards");
        await page.GetByTestId("team").ClickAsync();
        await page.Locator(".mud-popover-open").GetByText("payments", new() { Exact = true }).ClickAsync();
        await Expect(page.Locator("[data-service=portal]")).ToHaveCountAsync(0);
        Assert.Contains("team=payments", page.Url, StringComparison.Ordinal);

        await page.GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "Order lookups stay fast" }).ClickAsync();

        await Expect(page.GetByTestId("definition")).ToContainTextAsync("call-weighted mean time per 5-minute interval");
        var changed = page.GetByTestId("changed-statements");
        await Expect(changed.Locator("tbody tr").First).ToContainTextAsync("FROM sli_orders WHERE id = $");
        await Expect(page.GetByTestId("what-changed")).ToContainTextAsync("The worst hour");
        await Expect(page.Locator("[data-testid=sli-chart] canvas")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-testid=burn-down] canvas")).ToHaveCountAsync(1);
        await Chromium.ScreenshotAsync(page, "scorecard-objective");
        await page.GetByTestId("what-changed").ScrollIntoViewIfNeededAsync();
        await Chromium.ScreenshotAsync(page, "scorecard-what-changed");
    }
}
