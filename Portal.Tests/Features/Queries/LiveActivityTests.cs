using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>Real sessions on the target: a lock held in an open transaction, the sessions waiting for it, and a cancel.</summary>
[Collection(ClusterLockWaits.Name)]
public sealed class LiveActivityTests(LiveActivityTests.Seeded fixture) : IClassFixture<LiveActivityTests.Seeded>
{
    /// <summary>One portal and table for the class: each test opens sessions of its own and closes them.</summary>
    public sealed class Seeded : PortalOnFreshDatabase
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings["Queries:LongRunningSeconds"] = "1";

        protected override Task SeedAsync(NpgsqlConnection connection) =>
            connection.ExecuteAsync("CREATE TABLE accounts (id int PRIMARY KEY, balance int); INSERT INTO accounts VALUES (1, 100);");
    }

    private PortalApp App => fixture.App;

    private TestDatabase Database => fixture.Database;

    private async Task<NpgsqlConnection> OpenAsync(string application)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { ApplicationName = application, Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    [Fact]
    public async Task BlockedTransactions_AppearAsATreeUnderTheirBlocker_AndAnAdminCancelsOne()
    {
        await using var holder = await OpenAsync("holder");
        await using var transaction = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("UPDATE accounts SET balance = balance - 1 WHERE id = 1", transaction: transaction);
        await using var first = await OpenAsync("first-waiter");
        await using var second = await OpenAsync("second-waiter");
        var firstWaits = first.ExecuteAsync("UPDATE accounts SET balance = balance + 1 WHERE id = 1");
        var secondWaits = second.ExecuteAsync("UPDATE accounts SET balance = balance + 2 WHERE id = 1");
        var activity = App.Services.GetRequiredService<LiveActivity>();

        ActivityReport report = null!;
        await Eventually.HoldsAsync(async () => (report = await activity.ReadAsync(QueryOptions.PortalTarget))
                .BlockingTrees.Any(root => root.Pid == holder.ProcessID && root.Blocking.Count + root.Blocking.Sum(waiter => waiter.Blocking.Count) == 2),
            TimeSpan.FromSeconds(10), "both waiters are in the holder's tree");

        var root = Assert.Single(report.BlockingTrees);
        Assert.Equal(("holder", "idle in transaction"), (root.Application, root.State));
        var waiters = Flatten(root.Blocking).Select(session => session.Pid).Order();
        Assert.Equal(new[] { first.ProcessID, second.ProcessID }.Order(), waiters);

        var admin = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin"), new Claim(ClaimTypes.Role, Portal.Features.Auth.PortalRoles.Admin)], "test"));
        var outcome = await activity.CancelAsync(admin, QueryOptions.PortalTarget, first.ProcessID, "UPDATE accounts …");

        Assert.Equal(CancelOutcome.Cancelled, outcome);
        var cancelled = await Assert.ThrowsAsync<PostgresException>(() => firstWaits);
        Assert.Equal(PostgresErrorCodes.QueryCanceled, cancelled.SqlState);
        await using var data = new NpgsqlConnection(Database.ConnectionString);
        Assert.Equal(1, await data.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE actor = 'admin' AND action = 'query.cancel' AND subject = @subject AND after->>'cancelled' = 'true'",
            new { subject = $"portal:{first.ProcessID}" }));

        await transaction.RollbackAsync();
        await secondWaits;
    }

    [Fact]
    public async Task LongRunningQuery_IsListedWithItsText()
    {
        await using var sleeper = await OpenAsync("sleeper");
        var sleeping = sleeper.ExecuteAsync("SELECT pg_sleep(20) /* long-running */");
        var activity = App.Services.GetRequiredService<LiveActivity>();

        await Eventually.HoldsAsync(async () => (await activity.ReadAsync(QueryOptions.PortalTarget)).LongRunning
                .Any(session => session.Pid == sleeper.ProcessID && session.Query!.Contains("long-running") && session.RunningSeconds >= 1),
            TimeSpan.FromSeconds(10), "the sleeping query is long-running after a second");

        var admin = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Role, Portal.Features.Auth.PortalRoles.Admin)], "test"));
        Assert.Equal(CancelOutcome.Cancelled, await activity.CancelAsync(admin, QueryOptions.PortalTarget, sleeper.ProcessID, null));
        await Assert.ThrowsAsync<PostgresException>(() => sleeping);
    }

    [Fact]
    public void BlockingTrees_AChain_NestsEachWaiterUnderWhatItWaitsFor()
    {
        var sessions = new[]
        {
            new Session { Pid = 1 },
            new Session { Pid = 2, BlockedBy = [1] },
            new Session { Pid = 3, BlockedBy = [2] },
            new Session { Pid = 4 },
        };

        var root = Assert.Single(LiveActivity.BlockingTrees(sessions));

        Assert.Equal(1, root.Pid);
        Assert.Equal(2, Assert.Single(root.Blocking).Pid);
        Assert.Equal(3, Assert.Single(root.Blocking[0].Blocking).Pid);
    }

    private static IEnumerable<Session> Flatten(IEnumerable<Session> sessions) => sessions.SelectMany(session => Flatten(session.Blocking).Prepend(session));
}
