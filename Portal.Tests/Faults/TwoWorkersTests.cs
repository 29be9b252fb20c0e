using Dapper;
using Hangfire;
using Npgsql;
using Portal.Tests.Infrastructure;
using Portal.Tests.Worker;
using Xunit.Abstractions;

namespace Portal.Tests.Faults;

/// <summary>Two real worker processes on one Hangfire storage.</summary>
[StartEarly]
public sealed class TwoWorkersTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await database.DisposeAsync();

    private Dictionary<string, string?> Settings(params (string Key, string Value)[] extra)
    {
        var settings = PortalSettings.For(database);
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return settings;
    }

    private async Task<T> QueryAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        try
        {
            return await connection.ExecuteScalarAsync<T>(sql) ?? default!;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return default!; // no job has written its first side effect yet
        }
    }

    [Fact]
    public async Task TwoWorkers_ThirtyFiresOfAnEverySecondJob_EachFireExecutedExactlyOnce()
    {
        var settings = Settings(("Jobs:Schedules:" + TestJobs.Counting, "* * * * * *"));
        await using var first = PortalProcess.StartWorker(settings, "Portal.Tests.Worker");
        await using var second = PortalProcess.StartWorker(settings, "Portal.Tests.Worker");

        await Eventually.HoldsAsync(async () => await QueryAsync<long>($"SELECT count(DISTINCT hangfire_job_id) FROM {TestJobs.EffectsTable}") >= 30,
            TimeSpan.FromSeconds(90), $"30 fires of {TestJobs.Counting}\n{first.Output}\n{second.Output}");
        await first.KillAsync();
        await second.KillAsync();

        var executions = await QueryAsync<long>($"SELECT count(*) FROM {TestJobs.EffectsTable}");
        var fires = await QueryAsync<long>($"SELECT count(DISTINCT hangfire_job_id) FROM {TestJobs.EffectsTable}");
        var perSecond = await QueryAsync<long>($"SELECT count(DISTINCT date_trunc('second', at)) FROM {TestJobs.EffectsTable}");
        var nodes = await QueryAsync<long>($"SELECT count(DISTINCT node) FROM {TestJobs.EffectsTable}");
        var succeededInHangfire = await QueryAsync<long>(
            $"SELECT count(*) FROM hangfire.job WHERE statename = 'Succeeded' AND arguments::text LIKE '%{TestJobs.Counting}%'");
        output.WriteLine($"{executions} executions of {fires} fires over {perSecond} distinct seconds, on {nodes} worker(s); Hangfire: {succeededInHangfire} succeeded");

        var succeededWithoutEffect = await QueryAsync<string>($"""
            SELECT coalesce(string_agg(j.id::text || ' (' || j.createdat::text || ')', ', '), '') FROM hangfire.job j
            WHERE j.statename = 'Succeeded' AND j.arguments::text LIKE '%{TestJobs.Counting}%'
              AND NOT EXISTS (SELECT 1 FROM {TestJobs.EffectsTable} e WHERE e.hangfire_job_id = j.id::text)
              AND NOT EXISTS (SELECT 1 FROM job_runs r WHERE r.hangfire_job_id = j.id::text AND r.outcome = 'skipped')
            """);
        // A fire that finds the previous run still going (a busy machine) is skipped: succeeded in Hangfire, skipped for the portal.
        var skipped = await QueryAsync<long>($"SELECT count(*) FROM job_runs WHERE job_id = '{TestJobs.Counting}' AND outcome = 'skipped'");

        Assert.Equal(fires, executions); // no fire ran twice
        Assert.Equal("", succeededWithoutEffect); // Hangfire calls nothing succeeded that neither ran nor was skipped
        Assert.InRange(succeededInHangfire - skipped, fires - 2, fires); // Hangfire's own count agrees (the last fires may still be in flight)
        Assert.Equal(2, nodes);
    }

    [Fact]
    public async Task WorkerKilledMidJob_OtherWorkerRunsItAgainAfterTheInvisibilityTimeout()
    {
        var settings = Settings(("Worker:InvisibilityTimeoutSeconds", "8"));
        var first = PortalProcess.StartWorker(settings, "Portal.Tests.Worker");
        await using var second = PortalProcess.StartWorker(settings, "Portal.Tests.Worker");
        await using (first)
        {
            await Eventually.HoldsAsync(async () => await QueryAsync<long>("SELECT count(*) FROM job_definitions WHERE id = 'test-lengthy'") == 1,
                TimeSpan.FromSeconds(60), "the workers registered their catalogue");
            SilentHangfireLog.Install();
            var storage = new Hangfire.PostgreSql.PostgreSqlStorage(new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(database.ConnectionString,
                new Hangfire.PostgreSql.PostgreSqlStorageOptions { SchemaName = "hangfire", PrepareSchemaIfNecessary = false }));
            var hangfireJobId = new RecurringJobManager(storage).TriggerJob(TestJobs.Lengthy);

            await Eventually.HoldsAsync(async () => await QueryAsync<long>($"SELECT count(*) FROM {TestJobs.EffectsTable} WHERE what = 'started'") == 1,
                TimeSpan.FromSeconds(30), "the lengthy job started");
            var startedOn = await QueryAsync<string>($"SELECT node FROM {TestJobs.EffectsTable} WHERE what = 'started'");
            var victim = startedOn.EndsWith($":{first.ProcessId}", StringComparison.Ordinal) ? first : second;
            var survivor = victim == first ? second : first;
            await victim.KillAsync();

            // Picked up again after the invisibility timeout (8 s here), and finished by the survivor.
            await Eventually.HoldsAsync(async () => await QueryAsync<long>($"SELECT count(*) FROM {TestJobs.EffectsTable} WHERE what = 'finished'") == 1,
                TimeSpan.FromSeconds(60), $"the job finished on the surviving worker\n{survivor.Output}");
            var finishedOn = await QueryAsync<string>($"SELECT node FROM {TestJobs.EffectsTable} WHERE what = 'finished'");
            Assert.EndsWith($":{survivor.ProcessId}", finishedOn, StringComparison.Ordinal);
            Assert.Equal(2, await QueryAsync<long>($"SELECT count(*) FROM {TestJobs.EffectsTable} WHERE what = 'started' AND hangfire_job_id = '{hangfireJobId}'"));
            // The job writes "finished" before the recorder records its outcome: on a busy machine the row is still running a moment.
            var runs = $"SELECT string_agg(outcome || ':' || coalesce(error_type, ''), ' ' ORDER BY id) FROM job_runs WHERE hangfire_job_id = '{hangfireJobId}'";
            await Eventually.HoldsAsync(async () => await QueryAsync<string>(runs) != "failed:WorkerLost running:", TimeSpan.FromSeconds(30), "the run's outcome recorded");
            Assert.Equal("failed:WorkerLost succeeded:", await QueryAsync<string>(runs));
        }
    }
}
