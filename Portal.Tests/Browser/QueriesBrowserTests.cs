using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

[StartEarly]
public sealed class QueriesBrowserTests(QueriesBrowserTests.Seeded fixture, Chromium chromium) : IClassFixture<QueriesBrowserTests.Seeded>, IClassFixture<Chromium>
{
    /// <summary>
    /// The workload, run once for the class; each test searches its own statements (the health test's indexes and
    /// sequences add statements of their own, and no test takes a snapshot).
    /// </summary>
    public sealed class Seeded : PortalOnFreshDatabase
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
            // Sixty more statements, statement i called i + 1 times: pages and sorts to go through. pg_stat_statements tells
            // statements apart by their shape, not their aliases or constants: statement i adds i terms.
            for (var statement = 0; statement < 60; statement++)
            {
                var sql = $"SELECT count(*){string.Concat(Enumerable.Repeat(" + 1", statement))} AS statement_of_a_list FROM demo_orders WHERE id = @call";
                for (var call = 0; call <= statement; call++)
                {
                    await connection.ExecuteAsync(sql, new { call });
                }
            }
            await snapshots.TakeAsync(QueryOptions.PortalTarget);
        }
    }

    private PortalApp App => fixture.App;

    private TestDatabase Database => fixture.Database;

    [Fact]
    public async Task TopList_SortsAndPagesByLinks_StartsWithThePrerenderedReads_AndItsCircuitStartsWhenTheyAreLarge()
    {
        var page = await chromium.OpenAsync(App, PortalRoles.Developer, "/");
        await Chromium.RecordShownTextAsync(page);
        var address = $"/queries?range=1h&database={Database.Name}&search=statement_of_a_list";
        await page.GotoAsync(new Uri(App.BaseAddress, address).ToString());
        await Chromium.WaitForCircuitAsync(page);
        var rows = page.GetByTestId("queries").Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(25);
        await Expect(page.GetByTestId("rows-shown")).ToHaveTextAsync("1–25 of 60");
        // The circuit's first render had the reads the page was prerendered with: no "no statement" in between.
        Assert.DoesNotContain(await Chromium.ShownTextAsync(page), text => text.Contains("No statement ran", StringComparison.Ordinal));

        // Busiest first (total time); by calls: 60, 59 … then 1, 2 … — each a link with the sort in the address.
        // Read until the circuit's render has landed (a run read a row list between two renders once).
        async Task CallsAreAsync(long[] expected)
        {
            long[] seen = [];
            await Eventually.HoldsAsync(async () => (seen = await Calls()).SequenceEqual(expected), TimeSpan.FromSeconds(10),
                $"calls {string.Join(", ", expected)}, not {string.Join(", ", seen)}");
        }
        async Task<long[]> Calls() => [.. (await rows.Locator("td[data-label=Calls]").AllInnerTextsAsync()).Select(text => long.Parse(text.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture))];
        await page.Locator("a[data-sort=Calls]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("sort=calls"));
        await Expect(rows.First.Locator("td[data-label=Calls]")).ToHaveTextAsync("60");
        await CallsAreAsync([.. Enumerable.Range(36, 25).Reverse().Select(calls => (long)calls)]);
        await page.Locator("a[data-sort=Calls]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("order=asc"));
        await Expect(rows.First.Locator("td[data-label=Calls]")).ToHaveTextAsync("1");
        await Expect(page.Locator("th[aria-sort=ascending]")).ToContainTextAsync("Calls");

        // The next page continues where this one ended.
        await page.GetByTestId("next-page").ClickAsync();
        await Expect(page.GetByTestId("rows-shown")).ToHaveTextAsync("26–50 of 60");
        await CallsAreAsync([.. Enumerable.Range(26, 25).Select(calls => (long)calls)]);

        // 250 a page: reads too large to carry into the circuit stay on the server, and the circuit still starts.
        await page.GotoAsync(new Uri(App.BaseAddress, address + "&size=250").ToString());
        await Chromium.WaitForCircuitAsync(page);
        await Expect(rows).ToHaveCountAsync(60);
        await Expect(page.GetByTestId("rows-shown")).ToHaveTextAsync("1–60 of 60");

        // A page far past the end (or one whose offset would overflow) shows the empty list, not an error.
        await page.GotoAsync(new Uri(App.BaseAddress, address + "&page=99999999&size=250").ToString());
        await Chromium.WaitForCircuitAsync(page);
        await Expect(page.GetByTestId("no-queries")).ToContainTextAsync("No statement ran in this window");

        // The database filter is searched, not listed (a cluster can hold hundreds): typed, chosen, in the address.
        await page.GotoAsync(new Uri(App.BaseAddress, "/queries?range=1h&search=statement_of_a_list").ToString());
        await Chromium.WaitForCircuitAsync(page);
        await page.Locator("input[data-testid=database], [data-testid=database] input").First.FillAsync(Database.Name);
        await page.GetByRole(AriaRole.Option, new() { Name = Database.Name, Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"database={Database.Name}"));
        await Expect(page.GetByTestId("rows-shown")).ToHaveTextAsync("1–25 of 60");
    }

    [Fact]
    public async Task TopList_ToDetail_ExplainShowsThePlanWithTheSequentialScan()
    {
        // Searched: the sixty seeded statements scan the same table as often, so by total time this one ranks anywhere
        // around the first page's end (CI saw it on the second page once).
        var page = await chromium.OpenAsync(App, PortalRoles.Developer, $"/queries?range=1h&database={Database.Name}&search=customer_id");

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
            await connection.ExecuteAsync("CREATE SEQUENCE demo_ticket AS smallint; SELECT setval('demo_ticket', 31000); CREATE SEQUENCE demo_spare AS smallint;");
        }
        var page = await chromium.OpenAsync(App, PortalRoles.Admin, "/queries/health");

        await Expect(page.GetByTestId("duplicate-indexes")).ToContainTextAsync("public.demo_orders_total");
        await Expect(page.GetByTestId("unused-indexes")).ToContainTextAsync("DROP INDEX CONCURRENTLY public.demo_orders_total_again;");
        // Every maintenance risk at a warning or above (the sequence at 94.6 % of its range, alone of its kind: the
        // spare one is not listed beside it), and of each other kind the closest to its limit.
        var risks = page.GetByTestId("risks");
        await Expect(risks).ToHaveAttributeAsync("data-status", "critical");
        await Expect(risks.Locator("[data-risk=sequence]")).ToHaveCountAsync(1);
        await Expect(risks.Locator("[data-risk=sequence][data-status=critical]")).ToContainTextAsync("sequence public.demo_ticket (smallint)");
        await Expect(risks.Locator("[data-risk=sequence]")).ToContainTextAsync("94.61 %");
        await Expect(risks.Locator("[data-risk=xid]")).ToHaveCountAsync(1);
        await Expect(risks.Locator("[data-risk=connections]")).ToContainTextAsync("server");
        await Chromium.ScreenshotAsync(page, "queries-health");

        await page.GotoAsync(new Uri(App.BaseAddress, "/queries/activity").ToString());
        await Chromium.WaitForCircuitAsync(page);
        await Expect(page.GetByTestId("connections")).ToContainTextAsync("connections:");
        await Expect(page.GetByTestId("waits-link").Locator("a")).ToHaveAttributeAsync("href", "/queries/waits?target=portal"); // now, and what came before
        await Chromium.ScreenshotAsync(page, "queries-activity");

        await page.GotoAsync(new Uri(App.BaseAddress, "/admin/targets").ToString());
        await Chromium.WaitForCircuitAsync(page);
        await Expect(page.Locator("[data-target=portal]")).ToContainTextAsync(Database.Name);
        await Expect(page.Locator("[data-target=portal]")).ToContainTextAsync("2 snapshots");
        Assert.DoesNotContain(new NpgsqlConnectionStringBuilder(Database.ConnectionString).Password ?? "no password", await page.ContentAsync());
        await Chromium.ScreenshotAsync(page, "query-targets");
    }
}
