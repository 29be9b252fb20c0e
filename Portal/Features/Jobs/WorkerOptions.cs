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

    /// <summary>Concurrent jobs per worker process.</summary>
    [Range(1, 64)]
    public int WorkerCount { get; set; } = 4;
}
