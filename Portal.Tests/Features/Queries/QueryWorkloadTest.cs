using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>A known workload on a table of the test's own database, the portal's target, and the readings of it.</summary>
public abstract class QueryWorkloadTest : PortalOnFreshDatabase
{
    protected override Task SeedAsync(NpgsqlConnection connection) => connection.ExecuteAsync("""
        CREATE TABLE lookups (id int, code text);
        INSERT INTO lookups SELECT i, 'code-' || i FROM generate_series(1, 20000) i;
        ANALYZE lookups;
        """);

    protected Task<QuerySnapshot> SnapshotAsync() => App.Services.GetRequiredService<QuerySnapshots>().TakeAsync(QueryOptions.PortalTarget);

    protected async Task RunAsync(string sql, int times, Func<int, object?>? parameters = null)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        for (var i = 0; i < times; i++)
        {
            await connection.ExecuteAsync(sql, parameters?.Invoke(i));
        }
    }

    protected async Task<JsonElement[]> TopAsync(string sort, string window = "1h")
    {
        using var client = await App.SignedInClientAsync(PortalRoles.Developer);
        var response = await client.GetAsync($"/api/v1/queries?target=portal&window={window}&sort={sort}&limit=1000&database={Database.Name}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("queries").EnumerateArray().Select(row => row.Clone()).ToArray();
    }

    protected static JsonElement RowOf(JsonElement[] rows, string fragment) =>
        Assert.Single(rows, row => row.GetProperty("query").GetString()!.Contains(fragment, StringComparison.Ordinal));
}
