using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>
/// The window arithmetic and the flags, on a history written directly (running totals at known instants), so every
/// expected figure is computed here from the rows themselves.
/// </summary>
public sealed class QueryStatisticsTests : PortalOnFreshDatabase
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A statement with running totals (calls, time ms, rows) at hours before <see cref="Now"/>.</summary>
    private async Task<long> StatementAsync(long queryId, string query, DateTimeOffset firstSeen, params (double HoursAgo, double Calls, double TimeMs, double Rows)[] totals)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        var id = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO query_statements (target, query_id, user_id, db_id, toplevel, user_name, database_name, query, first_seen, last_moved, seen, running)
            VALUES ('portal', @queryId, 10, 5, true, 'app', 'shop', @query, @firstSeen, @lastMoved, '{}', '{}') RETURNING id
            """, new { queryId, query, firstSeen, lastMoved = Now.AddHours(-totals.Min(total => total.HoursAgo)) });
        foreach (var (hoursAgo, calls, timeMs, rows) in totals)
        {
            await connection.ExecuteAsync("""
                INSERT INTO query_totals (statement_id, taken_at, calls, total_time_ms, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied,
                    shared_blks_written, temp_blks_read, temp_blks_written, blk_read_time_ms, blk_write_time_ms, wal_bytes, min_time_ms, max_time_ms, stddev_time_ms)
                VALUES (@id, @at, @calls, @timeMs, @rows, @calls * 9, @calls, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                """, new { id, at = Now.AddHours(-hoursAgo), calls, timeMs, rows });
        }
        return id;
    }

    private async Task SnapshotsAsync(params double[] hoursAgo)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        foreach (var hours in hoursAgo)
        {
            await connection.ExecuteAsync("""
                INSERT INTO query_snapshots (target, taken_at, statements, moved, reset_detected, baseline, duration_ms)
                VALUES ('portal', @at, 0, 0, false, @baseline, 0)
                """, new { at = Now.AddHours(-hours), baseline = hours == hoursAgo.Max() });
        }
    }

    private async Task<Dictionary<long, QueryRow>> TopAsync(double hours)
    {
        var statistics = App.Services.GetRequiredService<QueryStatistics>();
        var top = await statistics.TopAsync(new TopQueriesRequest("portal", Now.AddHours(-hours), Now, Limit: 100));
        return top.Rows.ToDictionary(row => row.QueryId);
    }

    [Fact]
    public async Task Window_DifferencesRunningTotals_AndFlagsSlowRegressedNPlusOneAndNew()
    {
        await SnapshotsAsync(30, 2, 1, 0.5, 0);
        // Slow: 200 calls, 5,000 ms in the last hour → mean 25 ms (≥ 20 ms over ≥ 100 calls).
        await StatementAsync(1, "SELECT slow", Now.AddHours(-30), (2, 1000, 1000, 1000), (1, 1000, 1000, 1000), (0, 1200, 6000, 1200));
        // Regressed: 100 calls at 10 ms in the hour before, 100 calls at 16 ms now (+60 %).
        await StatementAsync(2, "SELECT regressed", Now.AddHours(-30), (2, 0, 0, 0), (1, 100, 1000, 100), (0, 200, 2600, 200));
        // N+1: 6,000 calls in the hour (100 a minute), 0.2 ms each, one row each.
        await StatementAsync(3, "SELECT n_plus_one", Now.AddHours(-30), (1, 10, 2, 10), (0, 6010, 1202, 6010));
        // New: first seen half an hour ago; 4 calls of 50 ms (too few calls to be slow).
        await StatementAsync(4, "SELECT new", Now.AddHours(-0.5), (0.5, 1, 50, 1), (0, 4, 200, 4));
        // Idle in the window: moved only before it.
        await StatementAsync(5, "SELECT idle", Now.AddHours(-30), (2, 50, 50, 50));

        var rows = await TopAsync(1);

        Assert.Equal([1, 2, 3, 4], rows.Keys.Order());
        Assert.Equal((200L, 5000.0, 25.0, 200L), (rows[1].Calls, rows[1].TotalTimeMs, rows[1].MeanTimeMs, rows[1].Rows));
        Assert.Equal((true, false, false, false), (rows[1].IsSlow, rows[1].IsRegressed, rows[1].IsNPlusOneSuspect, rows[1].IsNew));
        Assert.Equal((100L, 16.0, 10.0), (rows[2].Calls, rows[2].MeanTimeMs, rows[2].PreviousMeanTimeMs!.Value));
        Assert.Equal((false, true), (rows[2].IsSlow, rows[2].IsRegressed));
        Assert.Equal((6000L, 0.2, 1.0), (rows[3].Calls, Math.Round(rows[3].MeanTimeMs, 9), rows[3].RowsPerCall));
        Assert.True(rows[3].IsNPlusOneSuspect);
        Assert.Equal((4L, 200.0, true, false), (rows[4].Calls, rows[4].TotalTimeMs, rows[4].IsNew, rows[4].IsSlow)); // no row before the window: all of it
        var all = 5000.0 + 1600 + 1200 + 200;
        Assert.All(rows.Values, row => Assert.Equal(100 * row.TotalTimeMs / all, row.SharePercent, 9));
        Assert.All(rows.Values, row => Assert.Equal(0.9, row.SharedBlksHitRatio!.Value, 9));
    }

    [Fact]
    public async Task NPlusOne_RateOverTheSpanWatched_NotTheWindowsLength()
    {
        // Watched for the last hour only: 6,000 cheap one-row calls in it are 100 a minute, whether the window asked
        // is that hour or the day (the day's length would make them 4 a minute, and the flag would depend on it).
        await SnapshotsAsync(1, 0.5, 0);
        await StatementAsync(3, "SELECT n_plus_one", Now.AddHours(-1), (1, 10, 2, 10), (0, 6010, 1202, 6010));
        // Too rare either way: 600 calls in the hour, 10 a minute.
        await StatementAsync(6, "SELECT rare", Now.AddHours(-1), (1, 10, 2, 10), (0, 610, 122, 610));

        // (Not the 1-hour window of the test above: the answers are cached in the tests' shared Redis by their parameters.)
        foreach (var hours in new[] { 1.5, 24 })
        {
            var rows = await TopAsync(hours);
            Assert.Equal((true, false), (rows[3].IsNPlusOneSuspect, rows[6].IsNPlusOneSuspect));
        }
    }

    [Fact]
    public async Task CustomWindow_IsTheSpanAsked_BetweenTheNearestSnapshots_NotShiftedToTheLast()
    {
        // Snapshots at 10:00, 11:00, 11:30 and 12:00; the statement's running calls 40, 100, 160, 300 at them.
        await SnapshotsAsync(2, 1, 0.5, 0);
        await StatementAsync(8, "SELECT in_between", Now.AddHours(-30), (2, 40, 40, 40), (1, 100, 100, 100), (0.5, 160, 160, 160), (0, 300, 300, 300));
        using var client = App.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await App.TokenAsync(Portal.Features.Auth.PortalRoles.Developer));

        // 10:50 to 11:40: the snapshots nearest are 11:00 (the baseline) and 11:30 — 60 calls. Ending it at the last
        // snapshot before 11:40 and keeping its length made it 10:40–11:30, with 10:00 as the baseline: 120.
        var from = Now.AddMinutes(-70).ToString("O");
        var to = Now.AddMinutes(-20).ToString("O");
        using var answer = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync(new Uri(
            $"/api/v1/queries?window=custom&from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}", UriKind.Relative)));
        var root = answer.RootElement;
        Assert.Equal((Now.AddHours(-1), Now.AddHours(-0.5)), (root.GetProperty("from").GetDateTimeOffset(), root.GetProperty("to").GetDateTimeOffset()));
        Assert.Equal(60, root.GetProperty("queries").EnumerateArray().Single(row => row.GetProperty("queryId").GetInt64() == 8).GetProperty("calls").GetInt64());
    }

    [Fact]
    public async Task Retention_ForgetsAStatementOnlyWhenNoKeptWindowShowsItAndItsTargetNoLongerHoldsIt()
    {
        var options = App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<QueryOptions>>().Value;
        var past = DateTimeOffset.UtcNow.AddDays(-options.DailyRetentionDays - 1);
        // A statement the target holds now, read as the portal reads it.
        await using (var target = await App.Services.GetRequiredService<QueryTargets>().OpenAsync("portal"))
        {
            await target.ExecuteScalarAsync<string>("SELECT 'held by the target' AS retention_probe");
        }
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        var held = await connection.QuerySingleAsync<(long QueryId, long UserId, long DbId, bool Toplevel)>("""
            SELECT queryid, userid::bigint, dbid::bigint, toplevel FROM pg_stat_statements WHERE query LIKE '%AS retention_probe%' LIMIT 1
            """);
        async Task<long> StatementAsync((long QueryId, long UserId, long DbId, bool Toplevel) key, DateTimeOffset lastMoved)
        {
            var id = await connection.ExecuteScalarAsync<long>("""
                INSERT INTO query_statements (target, query_id, user_id, db_id, toplevel, user_name, database_name, query, first_seen, last_moved, seen, running)
                VALUES ('portal', @QueryId, @UserId, @DbId, @Toplevel, 'app', 'shop', 'SELECT ' || @QueryId, @lastMoved, @lastMoved, '{}', '{}') RETURNING id
                """, new { key.QueryId, key.UserId, key.DbId, key.Toplevel, lastMoved });
            await connection.ExecuteAsync("""
                INSERT INTO query_totals (statement_id, taken_at, calls, total_time_ms, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied,
                    shared_blks_written, temp_blks_read, temp_blks_written, blk_read_time_ms, blk_write_time_ms, wal_bytes, min_time_ms, max_time_ms, stddev_time_ms)
                VALUES (@id, @lastMoved, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                """, new { id, lastMoved });
            return id;
        }
        var goneAndOld = await StatementAsync((-4242, 10, 5, true), past);
        var heldAndOld = await StatementAsync(held, past);
        var goneAndRecent = await StatementAsync((-4343, 10, 5, true), DateTimeOffset.UtcNow.AddDays(-options.DailyRetentionDays + 1));

        var snapshots = App.Services.GetRequiredService<QuerySnapshots>();
        var (_, _, forgotten) = await snapshots.ApplyRetentionAsync();
        var (_, _, again) = await snapshots.ApplyRetentionAsync();

        Assert.Equal((1, 0), (forgotten, again));
        Assert.Equal([heldAndOld, goneAndRecent], (await connection.QueryAsync<long>("SELECT id FROM query_statements ORDER BY id")).Order());
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM query_totals WHERE statement_id = @goneAndOld", new { goneAndOld }));
    }

    [Fact]
    public async Task Retention_FoldsOldRowsIntoDailyOnes_WindowsUnchanged_AndARerunDeletesNothing()
    {
        var options = App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<QueryOptions>>().Value;
        var now = DateTimeOffset.UtcNow;
        var raw = options.RawRetentionDays;
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        var id = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO query_statements (target, query_id, user_id, db_id, toplevel, user_name, database_name, query, first_seen, last_moved, seen, running)
            VALUES ('portal', 7, 10, 5, true, 'app', 'shop', 'SELECT kept', now() - interval '40 days', now(), '{}', '{}') RETURNING id
            """);
        // Every 6 hours for 30 days: running calls grow by 10 each time.
        for (var step = 0; step <= 30 * 4; step++)
        {
            await connection.ExecuteAsync("""
                INSERT INTO query_totals (statement_id, taken_at, calls, total_time_ms, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied,
                    shared_blks_written, temp_blks_read, temp_blks_written, blk_read_time_ms, blk_write_time_ms, wal_bytes, min_time_ms, max_time_ms, stddev_time_ms)
                VALUES (@id, @at, @calls, @calls, @calls, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                """, new { id, at = now.AddDays(-30).AddHours(6 * step), calls = 10 * (step + 1) });
        }
        var statistics = App.Services.GetRequiredService<QueryStatistics>();
        async Task<long> CallsAsync(DateTimeOffset from, DateTimeOffset to) =>
            (await statistics.TopAsync(new TopQueriesRequest("portal", from, to, Limit: 10))).Rows.Single().Calls;
        var daily = now.Date.AddDays(-20); // a midnight-aligned window inside the folded part
        var before = (Month: await CallsAsync(now.AddDays(-30).AddMinutes(-1), now), Old: await CallsAsync(new DateTimeOffset(daily.AddDays(-3), TimeSpan.Zero), new DateTimeOffset(daily, TimeSpan.Zero)));

        var snapshots = App.Services.GetRequiredService<QuerySnapshots>();
        var (thinned, _, _) = await snapshots.ApplyRetentionAsync();
        var (again, _, _) = await snapshots.ApplyRetentionAsync();
        await App.Services.GetRequiredService<Portal.Features.Cache.PortalCache>().FlushAsync(Portal.Features.Cache.CacheOptions.QueryStatistics);

        // Rows older than the raw retention: one per UTC day (the day's last); younger rows untouched.
        var old = (await connection.QueryAsync<DateTime>("SELECT taken_at FROM query_totals WHERE statement_id = @id AND taken_at < @cutoff",
            new { id, cutoff = now.AddDays(-raw) })).ToList();
        Assert.Equal(old.Count, old.Select(at => at.ToUniversalTime().Date).Distinct().Count());
        Assert.True(thinned > 0);
        Assert.Equal(0, again);
        Assert.Equal(before.Month, await CallsAsync(now.AddDays(-30).AddMinutes(-1), now));
        Assert.Equal(before.Old, await CallsAsync(new DateTimeOffset(daily.AddDays(-3), TimeSpan.Zero), new DateTimeOffset(daily, TimeSpan.Zero)));
    }
}
