using Dapper;
using Npgsql;
using Portal.Features.Jobs;
using Portal.Jobs;

namespace Portal.Tests.Worker;

/// <summary>Jobs that exist only in tests, added to a worker's catalogue (in-process or in this executable).</summary>
public static class TestJobs
{
    public const string Failing = "test-failing";
    public const string Slow = "test-slow";
    public const string Counting = "test-counting";
    public const string Lengthy = "test-lengthy";
    public const string Overrunning = "test-overrunning";

    /// <summary>The table the counting and long jobs write their side effects to.</summary>
    public const string EffectsTable = "test_job_effects";

    /// <summary>Scheduled yearly unless a test overrides Jobs:Schedules: they run when a test triggers them.</summary>
    public static void AddTo(IServiceCollection services)
    {
        services.AddSingleton(new JobDefinition(Failing, "Always fails", "Throws, to exercise retries and the failures view.",
            "0 0 1 1 *", typeof(FailingJob), Timeout: TimeSpan.FromSeconds(30), Freshness: TimeSpan.FromDays(400)));
        services.AddSingleton(new JobDefinition(Slow, "Reports progress", "Five batches of 0.6 s, reporting progress after each.",
            "0 0 1 1 *", typeof(SlowJob), Timeout: TimeSpan.FromSeconds(30), Freshness: TimeSpan.FromDays(400), Retries: false));
        services.AddSingleton(new JobDefinition(Counting, "Counts its executions", "Appends one row per execution to test_job_effects.",
            "0 0 1 1 *", typeof(CountingJob), Timeout: TimeSpan.FromSeconds(30), Freshness: TimeSpan.FromDays(400), Retries: false));
        services.AddSingleton(new JobDefinition(Overrunning, "Overruns its time-out", "Waits 30 s with a time-out of 1 s.",
            "0 0 1 1 *", typeof(OverrunningJob), Timeout: TimeSpan.FromSeconds(1), Freshness: TimeSpan.FromDays(400), Retries: false));
        services.AddSingleton(new JobDefinition(Lengthy, "Runs for 15 seconds", "Records its start and its end in test_job_effects.",
            "0 0 1 1 *", typeof(LengthyJob), Timeout: TimeSpan.FromMinutes(2), Freshness: TimeSpan.FromDays(400), Retries: false));
    }

    public sealed class FailingJob : IPortalJob
    {
        public Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("disk full on /var/lib/test");
    }

    public sealed class SlowJob : IPortalJob
    {
        public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            for (var batch = 1; batch <= 5; batch++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(600), cancellationToken);
                await context.Progress.ReportAsync(batch * 20, $"batch {batch} of 5", cancellationToken);
            }
            return "processed 5 batches";
        }
    }

    public sealed class OverrunningJob : IPortalJob
    {
        public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
            return "never gets here";
        }
    }

    public sealed class CountingJob(NpgsqlDataSource dataSource, WorkerIdentity worker) : IPortalJob
    {
        public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            await RecordAsync(dataSource, context, worker, "executed", cancellationToken);
            return "counted";
        }
    }

    public sealed class LengthyJob(NpgsqlDataSource dataSource, WorkerIdentity worker) : IPortalJob
    {
        public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            await RecordAsync(dataSource, context, worker, "started", cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(15), cancellationToken);
            await RecordAsync(dataSource, context, worker, "finished", cancellationToken);
            return "ran for 15 seconds";
        }
    }

    private static async Task RecordAsync(NpgsqlDataSource dataSource, JobContext context, WorkerIdentity worker, string what, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition($"""
            CREATE TABLE IF NOT EXISTS {EffectsTable} (job_id text, hangfire_job_id text, node text, what text, at timestamptz DEFAULT now());
            INSERT INTO {EffectsTable} (job_id, hangfire_job_id, node, what) VALUES (@JobId, @HangfireJobId, @Node, @what);
            """, new { context.JobId, context.HangfireJobId, worker.Node, what }, cancellationToken: cancellationToken));
    }
}
