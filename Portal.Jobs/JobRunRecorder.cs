using Hangfire.Common;
using Hangfire.Server;
using Portal.Features.Jobs;
using Prometheus;

namespace Portal.Jobs;

/// <summary>
/// A Hangfire server filter: writes every run of a catalogue job to <c>job_runs</c> (trigger, node, times, outcome,
/// error, summary), skips the fires of paused jobs, and exports per-job metrics for Prometheus.
/// </summary>
public sealed class JobRunRecorder(JobRunStore runs, WorkerIdentity worker, ILogger<JobRunRecorder> logger) : IServerFilter
{
    private static readonly Counter Runs = Metrics.CreateCounter(
        "portal_job_runs_total", "Runs of catalogue jobs by outcome.", "job", "outcome");

    private static readonly Histogram Durations = Metrics.CreateHistogram(
        "portal_job_duration_seconds", "Duration of finished runs of catalogue jobs.",
        new HistogramConfiguration { LabelNames = ["job"], Buckets = Histogram.ExponentialBuckets(0.005, 4, 10) });

    private static readonly Gauge LastSuccess = Metrics.CreateGauge(
        "portal_job_last_success_timestamp_seconds", "When each catalogue job last succeeded (Unix time).", "job");

    private static readonly Gauge SinceLastSuccess = Metrics.CreateGauge(
        "portal_job_seconds_since_last_success", "Seconds since each catalogue job last succeeded, as of the scrape: alert when it exceeds the job's freshness objective.", "job");

    static JobRunRecorder() => Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        foreach (var labels in LastSuccess.GetAllLabelValues())
        {
            SinceLastSuccess.WithLabels(labels).Set(now - LastSuccess.WithLabels(labels).Value);
        }
    });

    public void OnPerforming(PerformingContext context)
    {
        if (context.GetJobParameter<string>("RecurringJobId", allowStale: true) is not { } jobId)
        {
            return; // not a catalogue job
        }

        var retry = context.GetJobParameter<int>("RetryCount", allowStale: true);
        var triggeredBy = context.GetJobParameter<string>(TriggeredBy.Parameter, allowStale: true);
        var trigger = retry > 0 ? JobTriggers.Retry : triggeredBy is not null ? JobTriggers.Manual : JobTriggers.Schedule;
        var enqueuedAt = new DateTimeOffset(DateTime.SpecifyKind(context.BackgroundJob.CreatedAt, DateTimeKind.Utc));

        if (runs.IsPausedAsync(jobId).GetAwaiter().GetResult())
        {
            runs.StartRunAsync(jobId, context.BackgroundJob.Id, worker.Node, trigger, triggeredBy, retry, enqueuedAt, JobOutcomes.Skipped)
                .GetAwaiter().GetResult();
            Runs.WithLabels(jobId, JobOutcomes.Skipped).Inc();
            logger.LogInformation("Skipped {JobId}: the job is paused", jobId);
            context.Canceled = true;
            return;
        }

        var runId = runs.StartRunAsync(jobId, context.BackgroundJob.Id, worker.Node, trigger, triggeredBy, retry, enqueuedAt, JobOutcomes.Running)
            .GetAwaiter().GetResult();
        context.Items[JobRunner.RunIdItem] = runId;
    }

    public void OnPerformed(PerformedContext context)
    {
        if (!context.Items.TryGetValue(JobRunner.RunIdItem, out var item) || item is not long runId)
        {
            return;
        }

        var jobId = context.GetJobParameter<string>("RecurringJobId", allowStale: true)!;
        var error = context.Exception is JobPerformanceException { InnerException: { } inner } ? inner : context.Exception;
        var (outcome, summary) = error switch
        {
            null => (JobOutcomes.Succeeded, context.Result as string),
            JobSkippedException skipped => (JobOutcomes.Skipped, skipped.Message),
            JobTimedOutException => (JobOutcomes.TimedOut, null),
            OperationCanceledException => (JobOutcomes.Cancelled, "cancelled: the worker is shutting down"),
            _ => (JobOutcomes.Failed, null),
        };
        if (outcome == JobOutcomes.Skipped)
        {
            context.ExceptionHandled = true; // a skip is not a failure: no retry
        }

        runs.FinishRunAsync(runId, outcome, summary, outcome is JobOutcomes.Failed or JobOutcomes.TimedOut ? error : null).GetAwaiter().GetResult();
        Runs.WithLabels(jobId, outcome).Inc();
        if (runs.GetRunAsync(runId).GetAwaiter().GetResult() is { DurationMs: { } durationMs })
        {
            Durations.WithLabels(jobId).Observe(durationMs / 1000);
        }
        if (outcome == JobOutcomes.Succeeded)
        {
            LastSuccess.WithLabels(jobId).SetToCurrentTimeUtc();
        }
    }

    /// <summary>At start, the last success of each job from the history, so the gauge is right before the first run.</summary>
    public static async Task PublishLastSuccessesAsync(JobRunStore runs, CancellationToken cancellationToken)
    {
        foreach (var (jobId, statistics) in await runs.GetStatisticsAsync(1, cancellationToken))
        {
            if (statistics.LastSuccessAt is { } at)
            {
                LastSuccess.WithLabels(jobId).Set(at.ToUnixTimeMilliseconds() / 1000.0);
            }
        }
    }
}
