using System.ComponentModel.DataAnnotations;

namespace Portal.Features.Vitals;

public sealed class VitalsOptions
{
    public const string Section = "Vitals";

    /// <summary>Events waiting for the writer; past it the endpoint answers 503 (memory stays bounded).</summary>
    [Range(100, 10_000_000)]
    public int QueueCapacity { get; set; } = 200_000;

    /// <summary>The most events one COPY writes.</summary>
    [Range(1, 1_000_000)]
    public int WriteBatchSize { get; set; } = 20_000;

    /// <summary>Raw events are kept this long (whole days: partitions are dropped).</summary>
    [Range(2, 3_650)]
    public int RetentionDays { get; set; } = 30;

    /// <summary>Requests a minute per app key.</summary>
    [Range(1, int.MaxValue)]
    public int RequestsPerMinutePerKey { get; set; } = 600_000;

    /// <summary>Requests a minute per client address.</summary>
    [Range(1, int.MaxValue)]
    public int RequestsPerMinutePerAddress { get; set; } = 600_000;
}
