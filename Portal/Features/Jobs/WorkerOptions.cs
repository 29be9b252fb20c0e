using System.ComponentModel.DataAnnotations;

namespace Portal.Features.Jobs;

public sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>Where the worker serves <c>/healthz</c> and <c>/metrics</c>.</summary>
    [Required]
    public string Urls { get; set; } = "http://127.0.0.1:5081";

    /// <summary>A worker whose last heartbeat is older than this is shown as stale.</summary>
    [Range(2, 3600)]
    public int StaleAfterSeconds { get; set; } = 45;

    /// <summary>
    /// A job fetched by a worker that then dies becomes visible to the other workers after this long
    /// (kept alive while its worker runs, however long the job takes).
    /// </summary>
    [Range(5, 24 * 3600)]
    public int InvisibilityTimeoutSeconds { get; set; } = 300;

    /// <summary>
    /// How often Hangfire's schedulers look for due recurring and delayed jobs (each look takes its distributed lock):
    /// a job fires up to this late. 5 s suits the 15 s heartbeat and the 45 s staleness of a worker.
    /// </summary>
    [Range(1, 60)]
    public int SchedulePollingSeconds { get; set; } = 5;

    /// <summary>Concurrent jobs per worker process.</summary>
    [Range(1, 64)]
    public int WorkerCount { get; set; } = 4;
}
