using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Vitals;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Vitals;

/// <summary>
/// Pages grouped by template for apps that cannot send one (Redmine's 192 views were 42 pages, 28 of them a single
/// /issues/NNN): an app's own rules first, then numeric and hash-like segments collapsed unless the app says not.
/// </summary>
public sealed class PageGroupsTests : PortalOnFreshDatabase
{
    private static readonly VitalsApp Redmine = new()
    {
        Id = "redmine",
        PageGroups = ["/projects/*/wiki/** => /projects/:project/wiki", "/my/page", "/users/*/settings => /users/:user/settings"],
    };

    [Theory]
    [InlineData("/issues/123", "/issues/:id")]
    [InlineData("/issues/123/edit", "/issues/:id/edit")]
    [InlineData("/attachments/download/42/report.pdf", "/attachments/download/:id/report.pdf")]
    [InlineData("/orders/3f2504e0-4f89-11d3-9a0c-0305e82c3301", "/orders/:hash")]
    [InlineData("/shared/a1b2c3d4e5f60718", "/shared/:hash")]
    [InlineData("/projects/portal/wiki/Installing/History", "/projects/:project/wiki")]
    [InlineData("/projects/portal/wiki", "/projects/portal/wiki")] // ** is at least one segment
    [InlineData("/users/7/settings", "/users/:user/settings")]
    [InlineData("/users/7", "/users/:id")]
    [InlineData("/my/page", "/my/page")]
    [InlineData("/products/:id", "/products/:id")] // a route template comes through
    [InlineData("/", "/")]
    [InlineData("/issues/calendar", "/issues/calendar")] // words stay
    [InlineData("/releases/v2", "/releases/v2")]
    public void PageOf_RulesThenIdsAndHashes(string path, string page) => Assert.Equal(page, PageGroups.PageOf(Redmine, path));

    [Fact]
    public void PageOf_CollapseOff_KeepsThePath() =>
        Assert.Equal("/issues/123", PageGroups.PageOf(Redmine with { CollapseIds = false }, "/issues/123"));

    [Theory]
    [InlineData("issues/*", "a pattern and its template are paths")]
    [InlineData("/a/**/b", "** stands for the rest of a path")]
    [InlineData("/a/* => a", "a pattern and its template are paths")]
    public void Problem_OfABadRule_SaysWhy(string rule, string problem) => Assert.Contains(problem, PageGroups.Problem(rule), StringComparison.Ordinal);

    [Fact]
    public void Problem_OfAnOversizedRule_SaysItsLength() =>
        Assert.Equal("a rule of 301 characters: at most 300", PageGroups.Problem("/" + new string('a', 300)));

    [Fact]
    public async Task Ingestion_StoresTheGroupedPage_RulesFromTheApi()
    {
        using var admin = App.CreateHttpClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await App.TokenAsync(PortalRoles.Admin));
        using (var created = await admin.PostAsync(new Uri("/api/v1/vitals/apps", UriKind.Relative), System.Net.Http.Json.JsonContent.Create(new
               {
                   id = "redmine", allowedOrigins = new List<string> { "*" }, pageGroups = Redmine.PageGroups,
               })))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using (var bad = await admin.PostAsync(new Uri("/api/v1/vitals/apps", UriKind.Relative), System.Net.Http.Json.JsonContent.Create(new
               {
                   id = "other", pageGroups = new List<string> { "issues/*" },
               })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        var key = (await App.Services.GetRequiredService<VitalsApps>().FindAsync("redmine"))!.PublicKey;
        string[] sent = ["/issues/101?tab=history", "/issues/102", "/issues/103#note-4", "/projects/portal/wiki/Start", "/users/9/settings", "/issues"];
        using var client = App.CreateHttpClient();
        var body = JsonSerializer.Serialize(new { key, events = sent.Select((page, index) => new { name = "LCP", value = 1_000 + index, id = $"v5-{index}", page }) });
        using var response = await client.PostAsync(new Uri("/api/v1/vitals", UriKind.Relative), new StringContent(body, Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        var pages = (await connection.QueryAsync<(string Page, long Count)>(
            "SELECT page, count(*) FROM vitals_events WHERE app = 'redmine' GROUP BY page ORDER BY page")).ToList();
        Assert.Equal([("/issues", 1L), ("/issues/:id", 3L), ("/projects/:project/wiki", 1L), ("/users/:user/settings", 1L)], pages);
    }
}
