using Hangfire.Server;
using Dapper;
using Npgsql;
using Portal.Features.Jobs;

namespace Portal.Jobs;

/// <summary>The run's catalogue job is already running elsewhere: this fire is skipped, not retried.</summary>
public sealed class JobSkippedException(string reason) : Exception(reason);

/// <summary>The job ran past its catalogue time-out and was cancelled.</summary>
public sealed class JobTimedOutException(TimeSpan timeout) : Exception($"The job ran longer than its time-out of {timeout} and was cancelled.");

/// <summary>
/// What Hangfire executes for every catalogue job: finds the job's class, keeps it from running concurrently with
/// itself, enforces its time-out, hands it its progress reporter, and returns its summary line.
/// </summary>
public sealed class JobRunner(IServiceProvider services, IEnumerable<JobDefinition> catalogue, JobRunStore runs, NpgsqlDataSource dataSource)
    : ICatalogueJobRunner
{
    public const string RunIdItem = "portal:run-id";

    public Task<string?> RunAsync(string jobId, PerformContext? context, CancellationToken cancellationToken) =>
        RunCoreAsync(jobId, context, cancellationToken);

    public Task<string?> RunOnceAsync(string jobId, PerformContext? context, CancellationToken cancellationToken) =>
        RunCoreAsync(jobId, context, cancellationToken);

    private async Task<string?> RunCoreAsync(string jobId, PerformContext? context, CancellationToken shutdown)
    {
        var definition = catalogue.SingleOrDefault(candidate => candidate.Id == jobId)
            ?? throw new InvalidOperationException($"Job '{jobId}' is not in this worker's catalogue.");

        // A session advisory lock, held by this connection for the run: PostgreSQL releases it the moment the
        // connection ends, so a worker that dies mid-run never leaves the job locked (as a lock row would).
        var lockName = $"portal:job:{jobId}";
        await using var exclusive = await dataSource.OpenConnectionAsync(shutdown);
        if (!await exclusive.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(hashtextextended(@lockName, 0))", new { lockName }))
        {
            throw new JobSkippedException("skipped: the previous run is still running");
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
            timeout.CancelAfter(definition.Timeout);
            IJobProgress progress = context?.Items.TryGetValue(RunIdItem, out var runId) == true
                ? new JobRunProgress(runs, (long)runId)
                : new NoProgress();

            await using var scope = services.CreateAsyncScope();
            var job = (IPortalJob)ActivatorUtilities.GetServiceOrCreateInstance(scope.ServiceProvider, definition.JobType);
            try
            {
                return await job.RunAsync(new JobContext(jobId, context?.BackgroundJob.Id, progress), timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !shutdown.IsCancellationRequested)
            {
                throw new JobTimedOutException(definition.Timeout);
            }
        }
        finally
        {
            await exclusive.ExecuteAsync("SELECT pg_advisory_unlock(hashtextextended(@lockName, 0))", new { lockName });
        }
    }

    // A run not started through the recorder (e.g. from Hangfire's dashboard "Requeue" of an old job) has no row.
    private sealed class NoProgress : IJobProgress
    {
        public Task ReportAsync(int percent, string? message = null, CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}
