using Hangfire;
using Hangfire.Server;
using Hangfire.Storage;
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
public sealed class JobRunner(IServiceProvider services, IEnumerable<JobDefinition> catalogue, JobRunStore runs, JobStorage storage)
{
    public const string RunIdItem = "portal:run-id";

    [JobDisplayName("{0}")]
    public Task<string?> RunAsync(string jobId, PerformContext? context, CancellationToken cancellationToken) =>
        RunCoreAsync(jobId, context, cancellationToken);

    [JobDisplayName("{0}")]
    [AutomaticRetry(Attempts = 0)]
    public Task<string?> RunOnceAsync(string jobId, PerformContext? context, CancellationToken cancellationToken) =>
        RunCoreAsync(jobId, context, cancellationToken);

    private async Task<string?> RunCoreAsync(string jobId, PerformContext? context, CancellationToken shutdown)
    {
        var definition = catalogue.SingleOrDefault(candidate => candidate.Id == jobId)
            ?? throw new InvalidOperationException($"Job '{jobId}' is not in this worker's catalogue.");

        using var connection = storage.GetConnection();
        IDisposable exclusive;
        try
        {
            exclusive = connection.AcquireDistributedLock($"portal:job:{jobId}", TimeSpan.FromSeconds(1));
        }
        catch (DistributedLockTimeoutException)
        {
            throw new JobSkippedException("skipped: the previous run is still running");
        }

        using (exclusive)
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
                return await job.RunAsync(new JobContext(jobId, progress), timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !shutdown.IsCancellationRequested)
            {
                throw new JobTimedOutException(definition.Timeout);
            }
        }
    }

    // A run not started through the recorder (e.g. from Hangfire's dashboard "Requeue" of an old job) has no row.
    private sealed class NoProgress : IJobProgress
    {
        public Task ReportAsync(int percent, string? message = null, CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}
