using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

public sealed class QueriesBrowserTests(Chromium chromium) : PortalOnFreshDatabase, IClassFixture<Chromium>
{
    protected override async Task SeedAsync(NpgsqlConnection connection)
    {
        await connection.ExecuteAsync("""
            CREATE TABLE demo_orders (id int, customer_id int, total numeric);
            INSERT INTO demo_orders SELECT i, i % 5000, i % 100 FROM generate_series(1, 50000) i;
            ANALYZE demo_orders;
            """);
        var snapshots = App.Services.GetRequiredService<QuerySnapshots>();
        await snapshots.TakeAsync(QueryOptions.PortalTarget);
        for (var customer = 0; customer < 50; customer++)
        {
            await connection.ExecuteAsync("SELECT id, total FROM demo_orders WHERE customer_id = @customer", new { customer });
        }
        await snapshots.TakeAsync(QueryOptions.PortalTarget);
    }

    [Fact]
    public async Task TopList_ToDetail_ExplainShowsThePlanWithTheSequentialScan()
    {
        var page = await chromium.OpenAsync(App, PortalRoles.Developer, $"/queries?range=1h&database={Database.Name}");

        var statement = page.GetByTestId("statement").Filter(new() { HasText = "FROM demo_orders WHERE customer_id" });
        await Expect(statement).ToHaveCountAsync(1);
        await Chromium.ScreenshotAsync(page, "queries");
        await statement.ClickAsync();

        await Expect(page.GetByTestId("sql")).ToContainTextAsync("WHERE customer_id = $1");
        await Expect(page.Locator("[data-summary=Calls]")).ToHaveTextAsync("50");
        await Chromium.ScreenshotAsync(page, "query-detail-before");
        await page.GetByLabel("$1 (integer)").FillAsync("42");
        await page.GetByTestId("run-explain").ClickAsync();

        await Expect(page.Locator("[data-testid=plan] [data-node='Seq Scan']")).ToContainTextAsync("sequential scan of 50,000 rows");
        await Expect(page.GetByTestId("explain-timing")).ToContainTextAsync("EXPLAIN · planning");

        await page.GetByLabel("ANALYZE — runs the statement", new() { Exact = false }).CheckAsync();
        await page.GetByTestId("run-explain").ClickAsync();
        await Expect(page.GetByTestId("explain-timing")).ToContainTextAsync("execution");
        await Expect(page.Locator("[data-testid=plan] [data-node='Seq Scan']")).ToContainTextAsync("10 rows × 1 loops");
        await Chromium.ScreenshotAsync(page, "query-detail");
    }

    [Fact]
    public async Task HealthActivityAndTargets_ShowTheirFindings()
    {
        await using (var connection = new NpgsqlConnection(Database.ConnectionString))
        {
            await connection.ExecuteAsync("CREATE INDEX demo_orders_total ON demo_orders (total); CREATE INDEX demo_orders_total_again ON demo_orders (total);");
        }
        var page = await chromium.OpenAsync(App, PortalRoles.Admin, "/queries/health");

        await Expect(page.GetByTestId("duplicate-indexes")).ToContainTextAsync("public.demo_orders_total");
        await Expect(page.GetByTestId("unused-indexes")).ToContainTextAsync("DROP INDEX CONCURRENTLY public.demo_orders_total_again;");
        await Chromium.ScreenshotAsync(page, "queries-health");

        await page.GotoAsync(new Uri(App.BaseAddress, "/queries/activity").ToString());
        await Chromium.WaitForCircuitAsync(page);
        await Expect(page.GetByTestId("connections")).ToContainTextAsync("connections:");
        await Chromium.ScreenshotAsync(page, "queries-activity");

        await page.GotoAsync(new Uri(App.BaseAddress, "/admin/targets").ToString());
        await Chromium.WaitForCircuitAsync(page);
        await Expect(page.Locator("[data-target=portal]")).ToContainTextAsync(Database.Name);
        await Expect(page.Locator("[data-target=portal]")).ToContainTextAsync("2 snapshots");
        Assert.DoesNotContain(new NpgsqlConnectionStringBuilder(Database.ConnectionString).Password ?? "no password", await page.ContentAsync());
        await Chromium.ScreenshotAsync(page, "query-targets");
    }
}
