using System.Diagnostics;
using Dapper;
using Npgsql;
using Portal.Features.Queries;

namespace Portal.Bench;

/// <summary>
/// The cost of the Queries feature's continuous capture (#28) on a target with 200 sessions: one activity sample (read
/// pg_stat_activity and the lock waits, store them) as a ratio to one plain <c>SELECT * FROM pg_stat_activity</c>; one
/// run of the plan-history job per statement as a ratio to one plain EXPLAIN; and the storage a day of each takes.
/// The sessions: 150 idle in a pool (each last ran one of 50 statements), 30 running one of 10 statements, a session
/// idle in a transaction holding a row lock and 19 waiting for it.
/// </summary>
public static class ActivityPlanBenchmarks
{
    private const int Idle = 150;
    private const int Running = 30;
    private const int Blocked = 19;
    private const int SamplesPerDay = 24 * 60 * 6; // every 10 s
    private const int PlanRunsPerDay = 24 * 4;     // every 15 minutes

    public static async Task RunAsync(IServiceProvider services, int iterations)
    {
        var portal = services.GetRequiredService<NpgsqlDataSource>();
        var targets = services.GetRequiredService<QueryTargets>();
        var activity = services.GetRequiredService<ActivityHistory>();
        var plans = services.GetRequiredService<PlanHistory>();
        const string target = QueryOptions.PortalTarget;
        // The data source's own connection string has lost its password: the configuration's has it.
        var builder = new NpgsqlConnectionStringBuilder(services.GetRequiredService<IConfiguration>().GetConnectionString("Portal"))
        {
            Pooling = false, ApplicationName = "bench-session",
        };
        var sessions = new List<NpgsqlConnection>();
        var waiting = new List<Task>();
        using var stop = new CancellationTokenSource();
        try
        {
            await using (var setup = await portal.OpenConnectionAsync())
            {
                await setup.ExecuteAsync(string.Concat(Enumerable.Range(0, 50).Select(k => $"DROP TABLE IF EXISTS bench_activity_{k}; CREATE TABLE bench_activity_{k} (id int PRIMARY KEY, v int);")));
                await setup.ExecuteAsync("INSERT INTO bench_activity_0 VALUES (1, 0)");
            }
            async Task<NpgsqlConnection> OpenAsync()
            {
                var connection = new NpgsqlConnection(builder.ConnectionString);
                await connection.OpenAsync();
                sessions.Add(connection);
                return connection;
            }
            for (var k = 0; k < Idle; k++)
            {
                await (await OpenAsync()).ExecuteAsync($"SELECT count(*) FROM bench_activity_{k % 50}");
            }
            for (var k = 0; k < Running; k++)
            {
                var connection = await OpenAsync();
                waiting.Add(connection.ExecuteAsync(new CommandDefinition($"SELECT pg_sleep(3600), (SELECT count(*) FROM bench_activity_{k % 10})", cancellationToken: stop.Token)));
            }
            var holder = await OpenAsync();
            await holder.ExecuteAsync("BEGIN; UPDATE bench_activity_0 SET v = 1 WHERE id = 1");
            for (var k = 0; k < Blocked; k++)
            {
                var connection = await OpenAsync();
                waiting.Add(connection.ExecuteAsync(new CommandDefinition("UPDATE bench_activity_0 SET v = 2 WHERE id = 1", cancellationToken: stop.Token)));
            }
            await Task.Delay(TimeSpan.FromSeconds(1)); // every statement started

            await using (var clear = await portal.OpenConnectionAsync())
            {
                await clear.ExecuteAsync("TRUNCATE query_activity, query_lock_waits");
            }
            async Task PlainRead()
            {
                await using var connection = await targets.OpenAsync(target);
                _ = (await connection.QueryAsync("SELECT * FROM pg_stat_activity")).AsList();
            }
            var result = await new Benchmark("activity sample, 200 sessions (read + store)", "SELECT * FROM pg_stat_activity",
                async () => await activity.SampleAsync(target, TimeSpan.FromSeconds(10)), PlainRead).RunAsync(iterations);
            Console.WriteLine(result);

            // A day of samples like these: the last sample's rows copied for every 10 s of a day, then measured on disk.
            await using var portalConnection = await portal.OpenConnectionAsync();
            var (rowsPerSample, lockEpisodes) = await portalConnection.QuerySingleAsync<(long, long)>("""
                SELECT (SELECT count(*) FROM query_activity WHERE at = (SELECT max(at) FROM query_activity)), (SELECT count(*) FROM query_lock_waits)
                """);
            await portalConnection.ExecuteAsync(new CommandDefinition($"""
                INSERT INTO query_activity (target, at, database, state, wait_event_type, wait_event, query_id, session_seconds)
                SELECT target, at - interval '10 seconds' * n, database, state, wait_event_type, wait_event, query_id, session_seconds
                FROM query_activity, generate_series(1, {SamplesPerDay - 1}) n
                WHERE at = (SELECT max(at) FROM query_activity);
                DELETE FROM query_activity WHERE at > (SELECT min(at) FROM query_activity) + interval '1 day';
                """, commandTimeout: 600));
            await portalConnection.ExecuteAsync("VACUUM ANALYZE query_activity");
            var (dayRows, dayBytes, lockBytes) = await portalConnection.QuerySingleAsync<(long, long, long)>(
                "SELECT (SELECT count(*) FROM query_activity), pg_total_relation_size('query_activity'), pg_total_relation_size('query_lock_waits')");
            Console.WriteLine($"{"storage of a day of activity samples",-44} {dayBytes / 1_048_576.0,8:F1} MiB   " +
                $"({rowsPerSample} rows a sample × {SamplesPerDay:N0} samples = {dayRows:N0} rows, {dayBytes / (double)dayRows:F0} bytes a row with its index; " +
                $"the 19 queued waits: {lockEpisodes} lock-wait episodes, {lockBytes / 1024.0:F0} KiB, whatever they last)");

            // The plan-history job's work for one statement (the statement's text, its generic plan through PREPARE, the
            // plan stored or seen again) against a plain EXPLAIN of the same statement with a literal for its parameter.
            await portalConnection.ExecuteAsync("TRUNCATE query_plans");
            var statements = (await portalConnection.QueryAsync<(long QueryId, string Query)>("""
                SELECT DISTINCT ON (query_id) query_id, query FROM query_statements
                WHERE target = 'portal' AND query ~ '^SELECT c[0-9] FROM bench_t[0-9]+ WHERE c[0-9] = \$1$' ORDER BY query_id LIMIT 10
                """)).ToList();
            var next = 0;
            var planResult = await new Benchmark("plan-history job, per statement", "EXPLAIN (FORMAT JSON) of it",
                async () => await plans.RecordAsync(target, statements[next % statements.Count].QueryId),
                async () =>
                {
                    await using var connection = await targets.OpenAsync(target);
                    _ = await connection.ExecuteScalarAsync<string>("EXPLAIN (FORMAT JSON) " + statements[next++ % statements.Count].Query.Replace("$1", "1", StringComparison.Ordinal));
                }).RunAsync(iterations);
            Console.WriteLine(planResult);
            var capture = Stopwatch.StartNew();
            var run = await plans.CaptureAsync(target);
            Console.WriteLine($"{"plan-history job, one run",-44} {capture.Elapsed.TotalMilliseconds,8:F0} ms   ({run.Explained} statements explained: the top {PlanHistory.TopStatements} of the last hour and those followed)");

            // A plan's row as stored (its JSON compressed by TOAST when large), and its two index entries (about 100 bytes).
            var bytesPerPlan = await portalConnection.QuerySingleAsync<double>("SELECT avg(pg_column_size(p.*))::float8 + 100 FROM query_plans p");
            var perRun = PlanHistory.TopStatements + PlanHistory.Followed;
            Console.WriteLine($"{"storage of a day of plans, worst case",-44} {bytesPerPlan * perRun * PlanRunsPerDay / 1_048_576.0,8:F1} MiB   " +
                $"(each of the {perRun} statements a run may explain a new plan on each of {PlanRunsPerDay} runs: {bytesPerPlan:F0} bytes a plan with its index entries; an unchanged plan adds nothing)");
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var session in sessions)
            {
                await session.DisposeAsync(); // closing a session ends its statement and its transaction
            }
            await Task.WhenAll(waiting.Select(task => task.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }
}
