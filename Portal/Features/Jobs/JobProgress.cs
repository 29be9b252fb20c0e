namespace Portal.Features.Jobs;

/// <summary>How a running job tells the Jobs page how far it got.</summary>
public interface IJobProgress
{
    Task ReportAsync(int percent, string? message = null, CancellationToken cancellationToken = default);
}

/// <summary>Progress nobody watches: work run outside a job (tests, benchmarks).</summary>
public sealed class NoJobProgress : IJobProgress
{
    public static readonly NoJobProgress Instance = new();

    public Task ReportAsync(int percent, string? message = null, CancellationToken cancellationToken = default) => Task.CompletedTask;
}

/// <summary>Progress of one run, kept on its <c>job_runs</c> row (the Jobs page polls it while the run lasts).</summary>
public sealed class JobRunProgress(JobRunStore runs, long runId) : IJobProgress
{
    public Task ReportAsync(int percent, string? message = null, CancellationToken cancellationToken = default) =>
        runs.ReportProgressAsync(runId, percent, message, cancellationToken);
}
