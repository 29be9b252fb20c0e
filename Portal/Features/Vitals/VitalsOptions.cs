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

    /// <summary>
    /// Requests a minute per app key, all its visitors together: 1,000 a second, a site with ~15,000 people on its
    /// pages at once (a page view sends 2–4 beacons a minute); past it the portal protects itself, not the app.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int RequestsPerMinutePerKey { get; set; } = 60_000;

    /// <summary>
    /// Requests a minute per client address, checked first: 10 a second, a busy office of ~150 people behind one NAT
    /// address; one client (a script replaying a key from a page's source) cannot use up the key's budget.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int RequestsPerMinutePerAddress { get; set; } = 600;
}
