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
    [Fact]
    public async Task Ingestion_StoresTheGroupedPage_RulesFromTheApi()
    {
        using var admin = App.CreateHttpClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await App.TokenAsync(PortalRoles.Admin));
        using (var created = await admin.PostAsync(new Uri("/api/v1/vitals/apps", UriKind.Relative), System.Net.Http.Json.JsonContent.Create(new
               {
                   id = "redmine", allowedOrigins = new List<string> { "*" }, pageGroups = PageGroupsRulesTests.Redmine.PageGroups,
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
