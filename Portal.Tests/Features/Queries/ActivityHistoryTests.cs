using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>
/// Two sessions contending for a row lock on the portal's own target: the activity history's samples hold the wait, the
/// blocker (idle in its transaction) and both statements; the waits over time and the statements that waited say the
/// same in session time (two samples of one blocked session, 10 s each).
/// </summary>
[Collection(ClusterLockWaits.Name)]
public sealed class ActivityHistoryTests : PortalOnFreshDatabase
{
    protected override async Task SeedAsync(NpgsqlConnection connection) =>
        await connection.ExecuteAsync("CREATE TABLE stock (id int PRIMARY KEY, quantity int); INSERT INTO stock VALUES (1, 10), (2, 20);");

    [Fact]
    public async Task RowLockContention_SampledWithTheBlockerAndTheWait()
    {
        var history = App.Services.GetRequiredService<ActivityHistory>();
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        await using var holder = new NpgsqlConnection(Database.ConnectionString);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("UPDATE stock SET quantity = quantity - 1 WHERE id = 1", transaction: transaction);
        var holderPid = holder.ProcessID;
        await using var waiter = new NpgsqlConnection(Database.ConnectionString);
        await waiter.OpenAsync();
        var waiterPid = waiter.ProcessID;
        var blocked = waiter.ExecuteAsync("UPDATE stock SET quantity = quantity + 5 WHERE id = 1");
        await Eventually.HoldsAsync(async () =>
        {
            await using var probe = new NpgsqlConnection(Database.ConnectionString);
            return await probe.ExecuteScalarAsync<bool>("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = @waiterPid", new { waiterPid });
        }, TimeSpan.FromSeconds(10), "the second update waits for the first's lock");

        var first = await history.SampleAsync(QueryOptions.PortalTarget, TimeSpan.FromSeconds(10));
        await Task.Delay(300);
        var second = await history.SampleAsync(QueryOptions.PortalTarget, TimeSpan.FromSeconds(10));
        await transaction.RollbackAsync();
        await blocked;

        Assert.Equal((1, 1), (first.LockWaits, second.LockWaits));
        await using (var stored = new NpgsqlConnection(Database.ConnectionString))
        {
            // Two samples of one wait are one episode; idle sessions (the portal's pool) count by database, whatever they last ran.
            Assert.Equal((1L, 2), await stored.QuerySingleAsync<(long, int)>("SELECT count(*), max(samples) FROM query_lock_waits"));
            Assert.True(await stored.ExecuteScalarAsync<long>("SELECT count(*) FROM query_activity WHERE state = 'idle'") > 0);
            Assert.Equal(0, await stored.ExecuteScalarAsync<long>("SELECT count(*) FROM query_activity WHERE state = 'idle' AND query_id <> 0"));
        }
        var end = DateTimeOffset.UtcNow.AddMinutes(1);
        var wait = Assert.Single(await history.LockWaitsAsync(QueryOptions.PortalTarget, start, end));
        Assert.Equal((waiterPid, holderPid, "Lock: transactionid", "idle in transaction", 2), (wait.BlockedPid, wait.BlockingPid, wait.WaitEvent, wait.BlockingState, wait.Samples));
        Assert.Equal("UPDATE stock SET quantity = quantity + 5 WHERE id = 1", wait.BlockedQuery);
        Assert.Equal("UPDATE stock SET quantity = quantity - 1 WHERE id = 1", wait.BlockingQuery);
        Assert.Equal(Database.Name, wait.Database);
        Assert.InRange(wait.LongestWaitMs, 1, 30_000);
        Assert.NotEqual(0, wait.BlockedQueryId);

        // In session time: the blocked statement spent both samples, 20 s, on the lock.
        var waits = await history.WaitsOverTimeAsync(QueryOptions.PortalTarget, start, end, TimeSpan.FromMinutes(5));
        var lockWaits = Assert.Single(waits, series => series.Wait == "Lock: transactionid");
        Assert.Equal(20, lockWaits.Points.Sum(point => point.AverageSessions) * TimeSpan.FromMinutes(5).TotalSeconds, 6);
        var statement = Assert.Single(await history.WaitingStatementsAsync(QueryOptions.PortalTarget, start, end), each => each.QueryId == wait.BlockedQueryId);
        Assert.Equal([("Lock: transactionid", 20d)], statement.Waits);

        // Folded into hourly rows once past the raw retention, the same session time remains.
        await using var portal = new NpgsqlConnection(Database.ConnectionString);
        await portal.ExecuteAsync("UPDATE query_activity SET at = at - interval '10 days'; UPDATE query_lock_waits SET first_seen = first_seen - interval '10 days', last_seen = last_seen - interval '10 days'");
        var (folded, _) = await history.ApplyRetentionAsync();
        Assert.True(folded > 0);
        Assert.Equal(0, await portal.ExecuteScalarAsync<long>("SELECT count(*) FROM query_activity"));
        Assert.Equal(0, await portal.ExecuteScalarAsync<long>("SELECT count(*) FROM query_lock_waits"));
        Assert.Equal(20, await portal.ExecuteScalarAsync<double>(
            "SELECT sum(session_seconds) FROM query_activity_hourly WHERE wait_event = 'transactionid' AND query_id = @id", new { id = wait.BlockedQueryId }));
    }
}
