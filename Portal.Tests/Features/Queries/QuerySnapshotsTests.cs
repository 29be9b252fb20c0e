using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>Snapshots of the real pg_stat_statements of the test cluster; the target is the test's own Database.</summary>
[StartEarly]
public sealed class QuerySnapshotsTests : QueryWorkloadTest
{
    [Fact]
    public async Task KnownWorkload_RankedAsItImplies_WithExactCallCounts()
    {
        var baseline = await SnapshotAsync();
        await RunAsync("SELECT id FROM lookups WHERE code = @code", 1000, i => new { code = $"code-{i + 1}" });
        await RunAsync("SELECT count(*), sum(g) FROM generate_series(1, 3000000) g", 10);
        var second = await SnapshotAsync();

        Assert.True(baseline.Baseline);
        Assert.False(second.Baseline);
        var byCalls = await TopAsync("calls");
        var lookup = RowOf(byCalls, "FROM lookups WHERE code");
        var aggregate = RowOf(byCalls, "generate_series(");
        Assert.Equal(1000, lookup.GetProperty("calls").GetInt64());
        Assert.Equal(10, aggregate.GetProperty("calls").GetInt64());
        Assert.Equal(1000, lookup.GetProperty("rows").GetInt64()); // one row per lookup
        Assert.Contains("FROM lookups WHERE code", byCalls[0].GetProperty("query").GetString());

        var byMean = await TopAsync("meanTime");
        Assert.Contains("generate_series(", byMean[0].GetProperty("query").GetString());
        Assert.True(aggregate.GetProperty("meanTimeMs").GetDouble() > lookup.GetProperty("meanTimeMs").GetDouble());

        // The share of all time and the mean, recomputed from the rows themselves.
        var all = byCalls.Sum(row => row.GetProperty("totalTimeMs").GetDouble());
        foreach (var row in byCalls)
        {
            Assert.Equal(100 * row.GetProperty("totalTimeMs").GetDouble() / all, row.GetProperty("sharePercent").GetDouble(), 1e-9); // a tolerance: rounding both to 6 places split 0.0344385 ± 1e-17
            Assert.Equal(row.GetProperty("totalTimeMs").GetDouble() / row.GetProperty("calls").GetInt64(), row.GetProperty("meanTimeMs").GetDouble(), 1e-9);
        }
        // The statement's detail: the same counts, and its intervals add up to them.
        using (var client = await App.SignedInClientAsync(PortalRoles.Developer))
        {
            var queryId = lookup.GetProperty("queryId").GetInt64();
            using var detail = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/queries/{queryId}?target=portal&window=1h"));
            var root = detail.RootElement;
            Assert.Equal(1000, root.GetProperty("calls").GetInt64());
            Assert.Equal(1000, root.GetProperty("counters").GetProperty("calls").GetDouble());
            Assert.Equal(1000, root.GetProperty("intervals").EnumerateArray().Sum(interval => interval.GetProperty("calls").GetInt64()));
            Assert.Equal(root.GetProperty("totalTimeMs").GetDouble(), root.GetProperty("intervals").EnumerateArray().Sum(interval => interval.GetProperty("timeMs").GetDouble()), 1e-9);
            Assert.Equal(root.GetProperty("totalTimeMs").GetDouble() / 1000, root.GetProperty("meanTimeMs").GetDouble(), 9);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/queries/12345?target=portal")).StatusCode);
        }

        // A statement that did not move is not stored again.
        var third = await SnapshotAsync();
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("""
            SELECT count(*) FROM query_totals t JOIN query_statements s ON s.id = t.statement_id WHERE s.query LIKE '%FROM lookups WHERE code%'
            """));
        Assert.True(third.Moved < third.Statements, $"{third.Moved} of {third.Statements} moved");
    }

    [Fact]
    public async Task StatementEvictedAndReAdded_CountsOnlyTheNewCalls()
    {
        await SnapshotAsync();
        await RunAsync("SELECT id FROM lookups WHERE id < @id", 6, i => new { id = i });
        await SnapshotAsync();
        await using (var connection = new NpgsqlConnection(Database.ConnectionString))
        {
            // Resetting one entry is what eviction does to it; pg_stat_statements_info.stats_reset does not move.
            await connection.ExecuteAsync("""
                SELECT pg_stat_statements_reset(0, 0, queryid) FROM pg_stat_statements WHERE query LIKE 'SELECT id FROM lookups WHERE id < $1%'
                """);
        }
        await RunAsync("SELECT id FROM lookups WHERE id < @id", 2, i => new { id = i });

        var snapshot = await SnapshotAsync();

        Assert.False(snapshot.ResetDetected);
        Assert.Equal(8, RowOf(await TopAsync("calls"), "FROM lookups WHERE id <").GetProperty("calls").GetInt64());
    }

    [Theory]
    [InlineData("window=2h", "window")]
    [InlineData("window=custom&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "window")]
    [InlineData("from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z", "window")] // ignored silently, the last 24 h answered
    [InlineData("window=1h&from=2026-01-01T00:00:00Z", "window")]
    [InlineData("sort=cost", "sort")]
    [InlineData("sort=1", "sort")]
    [InlineData("limit=0", "limit")]
    [InlineData("offset=-1", "offset")]
    public async Task Api_BadParameter_400NamingIt(string parameters, string named)
    {
        using var client = await App.SignedInClientAsync(PortalRoles.Developer);

        var response = await client.GetAsync($"/api/v1/queries?target=portal&{parameters}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith(named, body.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Api_UnknownTarget_404()
    {
        using var client = await App.SignedInClientAsync(PortalRoles.Developer);

        var response = await client.GetAsync("/api/v1/queries?target=nowhere");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Targets_ThePortalsDatabase_IsReadyAndItsPasswordNeverShown()
    {
        using var client = await App.SignedInClientAsync(PortalRoles.Developer);

        var text = await client.GetStringAsync("/api/v1/targets");

        using var body = JsonDocument.Parse(text);
        var target = Assert.Single(body.RootElement.EnumerateArray());
        Assert.Equal(("portal", Database.Name, true), (target.GetProperty("name").GetString(), target.GetProperty("database").GetString(), target.GetProperty("ready").GetBoolean()));
        var password = new NpgsqlConnectionStringBuilder(Database.ConnectionString).Password;
        if (!string.IsNullOrEmpty(password))
        {
            Assert.DoesNotContain(password, text);
        }
    }
}
