using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>
/// EXPLAIN on a real target: reads may be analyzed, nothing else ever runs, and nothing changes — which is also why
/// the tests share one portal and its accounts (each checks that the table is as it was).
/// </summary>
public sealed class QueryExplainTests(QueryExplainTests.Accounts portal) : IClassFixture<QueryExplainTests.Accounts>
{
    /// <summary>A portal whose target holds 20,000 accounts and a function that would delete them.</summary>
    public sealed class Accounts : PortalOnFreshDatabase
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["Queries:ExplainAnalyzeTimeoutMs"] = "500";
            // A second target nothing answers on (a free loopback port).
            settings["Queries:Targets:gone:ConnectionString"] = $"Host=127.0.0.1;Port={LoopbackPort.Free()};Username=portal;Password=unused;Database=gone;Timeout=3";
        }

        protected override Task SeedAsync(NpgsqlConnection connection) => connection.ExecuteAsync("""
            CREATE TABLE accounts (id int PRIMARY KEY, balance numeric);
            INSERT INTO accounts SELECT i, 100 FROM generate_series(1, 20000) i;
            ANALYZE accounts;
            CREATE FUNCTION drain() RETURNS int LANGUAGE sql AS 'DELETE FROM accounts RETURNING 1';
            """);
    }

    private QueryExplain Explain => portal.App.Services.GetRequiredService<QueryExplain>();

    private async Task<(long Rows, decimal Balance)> AccountsAsync()
    {
        await using var connection = new NpgsqlConnection(portal.Database.ConnectionString);
        return await connection.QuerySingleAsync<(long, decimal)>("SELECT count(*), coalesce(sum(balance), 0) FROM accounts");
    }

    [Fact]
    public async Task Explain_TargetNotAnswering_SaysSoInsteadOfThrowing()
    {
        var result = await Explain.ExplainAsync("gone", "SELECT id FROM accounts WHERE id = $1", ["1"], analyze: false);

        Assert.Null(result.Plan);
        Assert.StartsWith("The target could not be reached: ", result.Refusal);
        Assert.DoesNotContain("unused", result.Refusal, StringComparison.Ordinal); // the password
    }

    [Fact]
    public async Task Parameters_TargetNotAnswering_SaysSoInsteadOfThrowing()
    {
        // Read as the statement page loads: a throw here was the page's error page, its history unreadable.
        var (types, refusal) = await Explain.ParametersAsync("gone", "SELECT id FROM accounts WHERE id = $1");

        Assert.Empty(types);
        Assert.StartsWith("The target could not be reached: ", refusal);
    }

    [Fact]
    public async Task RecordPlanNow_TargetNotAnswering_SaysSoInsteadOfThrowing()
    {
        // A statement the portal saw on that target before it went away.
        await using (var connection = new NpgsqlConnection(portal.Database.ConnectionString))
        {
            await connection.ExecuteAsync("""
                INSERT INTO query_statements (target, query_id, user_id, db_id, toplevel, user_name, database_name, query, first_seen, seen, running)
                VALUES ('gone', 4242, 10, 5, true, 'shop', 'shop', 'SELECT id FROM accounts WHERE id = $1', now(), '{}', '{}')
                """);
        }

        var (isNew, refusal) = await portal.App.Services.GetRequiredService<PlanHistory>().RecordAsync("gone", 4242);

        Assert.False(isNew);
        Assert.StartsWith("The target could not be reached: ", refusal);
    }

    [Theory]
    [InlineData("DELETE FROM accounts WHERE id > $1")]
    [InlineData("UPDATE accounts SET balance = 0 WHERE id > $1")]
    [InlineData("WITH d AS (DELETE FROM accounts WHERE id > $1 RETURNING *) SELECT count(*) FROM d")]
    public async Task ExplainAnalyze_AWrite_IsRefusedAndChangesNothing(string sql)
    {
        var before = await AccountsAsync();

        var result = await Explain.ExplainAsync(QueryOptions.PortalTarget, sql, ["0"], analyze: true);

        Assert.StartsWith("EXPLAIN ANALYZE runs the statement", result.Refusal);
        Assert.Null(result.Plan);
        Assert.Equal(before, await AccountsAsync());
    }

    [Theory]
    [InlineData("DROP TABLE accounts")]
    [InlineData("TRUNCATE accounts")]
    [InlineData("ALTER TABLE accounts ADD COLUMN x int")]
    public async Task Explain_Ddl_IsRefusedAndChangesNothing(string sql)
    {
        var before = await AccountsAsync();

        var plain = await Explain.ExplainAsync(QueryOptions.PortalTarget, sql, [], analyze: false);
        var analyzed = await Explain.ExplainAsync(QueryOptions.PortalTarget, sql, [], analyze: true);
        var (types, refusal) = await Explain.ParametersAsync(QueryOptions.PortalTarget, sql);

        Assert.Equal(QueryExplain.NotExplainable, plain.Refusal);
        Assert.Equal(QueryExplain.NotExplainable, analyzed.Refusal);
        Assert.Equal(QueryExplain.NotExplainable, refusal);
        Assert.Empty(types);
        Assert.Equal(before, await AccountsAsync());
    }

    [Fact]
    public async Task ExplainAnalyze_AReadThatWritesThroughAFunction_TheReadOnlyTransactionStopsIt()
    {
        var before = await AccountsAsync();

        var result = await Explain.ExplainAsync(QueryOptions.PortalTarget, "SELECT drain()", [], analyze: true);

        Assert.Contains("read-only transaction", result.Refusal);
        Assert.Equal(before, await AccountsAsync());
    }

    [Fact]
    public async Task Explain_AWriteWithoutAnalyze_ShowsItsPlanAndChangesNothing()
    {
        var before = await AccountsAsync();

        var result = await Explain.ExplainAsync(QueryOptions.PortalTarget, "UPDATE accounts SET balance = 0 WHERE balance > $1", ["10"], analyze: false);

        Assert.Null(result.Refusal);
        Assert.Equal("ModifyTable", result.Plan!.NodeType);
        var scan = Assert.Single(result.Plan.Children);
        Assert.Equal(("Seq Scan", "accounts", true), (scan.NodeType, scan.Relation, scan.LargeSequentialScan));
        Assert.Null(result.ExecutionMs);
        // Planned, not run: the planning time is still there (EXPLAIN's SUMMARY; the page showed "planning ms").
        Assert.True(result.PlanningMs > 0, $"planning {result.PlanningMs}");
        Assert.Equal(before, await AccountsAsync());
    }

    [Fact]
    public async Task ExplainAnalyze_ARead_RunsItWithTheBoundValues()
    {
        var (types, refusal) = await Explain.ParametersAsync(QueryOptions.PortalTarget, "SELECT balance FROM accounts WHERE id = $1 AND balance > $2");

        var result = await Explain.ExplainAsync(QueryOptions.PortalTarget, "SELECT balance FROM accounts WHERE id = $1 AND balance > $2", ["42", "1.5"], analyze: true);

        Assert.Null(refusal);
        Assert.Equal(["integer", "numeric"], types);
        Assert.Null(result.Refusal);
        Assert.Equal(("Index Scan", "accounts_pkey", 1.0), (result.Plan!.NodeType, result.Plan.Index, result.Plan.ActualRows));
        Assert.NotNull(result.ExecutionMs);
        Assert.False(result.Plan.LargeSequentialScan);
    }

    [Fact]
    public async Task ExplainAnalyze_PastItsTimeOut_IsStoppedWithAReason()
    {
        var result = await Explain.ExplainAsync(QueryOptions.PortalTarget, "SELECT pg_sleep(5)", [], analyze: true);

        Assert.StartsWith("Stopped after 500 ms (the time-out)", result.Refusal);
    }
}
