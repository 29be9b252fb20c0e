using System.ComponentModel.DataAnnotations;

namespace Portal.Jobs;

public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>Cron per job id, replacing the catalogue's schedule (e.g. <c>"heartbeat": "*/5 * * * * *"</c>).</summary>
    public Dictionary<string, string> Schedules { get; set; } = [];

    /// <summary>How long the run history is kept.</summary>
    [Range(1, 3650)]
    public int HistoryRetentionDays { get; set; } = 90;

    /// <summary>Delays of the automatic retries of a failed job (about 1, 5 and 15 minutes): one retry per entry.</summary>
    public int[] RetryDelaysSeconds { get; set; } = [];

    public static readonly int[] DefaultRetryDelaysSeconds = [60, 300, 900];

    public int[] EffectiveRetryDelays => RetryDelaysSeconds.Length > 0 ? RetryDelaysSeconds : DefaultRetryDelaysSeconds;
}
