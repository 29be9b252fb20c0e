using System.ComponentModel.DataAnnotations;

namespace Portal.Features.Health;

public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>How often the web process probes every dependency for the Overview.</summary>
    [Range(1, 300)]
    public int ProbeIntervalSeconds { get; set; } = 5;

    /// <summary>A probe that takes longer than this counts as failed.</summary>
    [Range(1, 60)]
    public int ProbeTimeoutSeconds { get; set; } = 3;
}
