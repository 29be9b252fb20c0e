namespace Portal.Features.Jobs;

/// <summary>How a run ended (or that it is still running).</summary>
public static class JobOutcomes
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string TimedOut = "timed_out";
    public const string Skipped = "skipped";

    public static IReadOnlyList<string> All { get; } = [Running, Succeeded, Failed, Cancelled, TimedOut, Skipped];
}

/// <summary>What started a run.</summary>
public static class JobTriggers
{
    public const string Schedule = "schedule";
    public const string Manual = "manual";
    public const string Retry = "retry";
}

/// <summary>A catalogue entry as the worker registered it (table <c>job_definitions</c>).</summary>
public sealed record JobDefinitionRow
{
    public required string Id { get; init; }
    public required string Title { get; init; }
    public required string Description { get; init; }
    public required string Cron { get; init; }
    public required string TimeZone { get; init; }
    public required string Queue { get; init; }
    public required int TimeoutSeconds { get; init; }
    public required int FreshnessSeconds { get; init; }
    public required bool Retries { get; init; }
    public required bool Paused { get; init; }
    public string? PausedBy { get; init; }
    public DateTimeOffset? PausedAt { get; init; }

    /// <summary>When a worker first registered the job: a job that never succeeded is judged from then.</summary>
    public DateTimeOffset RegisteredAt { get; init; }
}

/// <summary>One execution attempt (table <c>job_runs</c>).</summary>
public sealed record JobRun
{
    public required long Id { get; init; }
    public required string JobId { get; init; }
    public required string HangfireJobId { get; init; }
    public required string Node { get; init; }
    public required string Trigger { get; init; }
    public string? TriggeredBy { get; init; }
    public required int Attempt { get; init; }
    public DateTimeOffset? EnqueuedAt { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public double? DurationMs { get; init; }
    public required string Outcome { get; init; }
    public string? ErrorType { get; init; }
    public string? ErrorMessage { get; init; }
    public string? ErrorStack { get; init; }
    public string? Summary { get; init; }
    public short? ProgressPercent { get; init; }
    public string? ProgressMessage { get; init; }
}

/// <summary>Per job: its last run, its last success and the durations and outcomes of its last 50 finished runs.</summary>
public sealed record JobStatistics
{
    public required string JobId { get; init; }
    public DateTimeOffset? LastSuccessAt { get; init; }
    public required double[] RecentDurationsMs { get; init; }
    public required int RecentRuns { get; init; }
    public required int RecentSuccesses { get; init; }
}

/// <summary>Runs started in a window, by outcome.</summary>
public sealed record JobRunCounts(int Succeeded, int Failed, int Running, int Skipped);

/// <summary>Filters of the run history; every field optional.</summary>
public sealed record JobRunQuery(string? JobId = null, string? Outcome = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null, int Limit = 200);

/// <summary>A job's freshness at an instant, with the last success it was judged from.</summary>
public sealed record JobFreshnessAt(DateTimeOffset At, JobDefinitionRow Definition, DateTimeOffset? LastSuccessAt, JobFreshness Freshness);

/// <summary>A job's failed and timed-out runs in a window.</summary>
public sealed record JobFailures(string JobId, int Times, string? LastError);
