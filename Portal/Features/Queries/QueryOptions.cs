using System.ComponentModel.DataAnnotations;

namespace Portal.Features.Queries;

/// <summary>A monitored PostgreSQL database. Its connection string comes from configuration or the environment and is never shown back.</summary>
public sealed class QueryTargetOptions
{
    public string? ConnectionString { get; set; }

    public string? Description { get; set; }
}

public sealed class QueryOptions
{
    public const string Section = "Queries";

    /// <summary>The portal's own database, always a target unless a target of this name is configured.</summary>
    public const string PortalTarget = "portal";

    public Dictionary<string, QueryTargetOptions> Targets { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every read of a target is cut off after this long.</summary>
    [Range(100, 600_000)]
    public int StatementTimeoutMs { get; set; } = 5_000;

    /// <summary>5-minute snapshot rows are kept this long; older ones are thinned to one a day by the nightly aggregation.</summary>
    [Range(1, 3_650)]
    public int RawRetentionDays { get; set; } = 14;

    /// <summary>Daily rows are kept this long.</summary>
    [Range(1, 3_650)]
    public int DailyRetentionDays { get; set; } = 400;

    /// <summary>PgHero's "slow" defaults: mean at least this in the window…</summary>
    public double SlowMeanMs { get; set; } = 20;

    /// <summary>…and at least this many calls in the window.</summary>
    public long SlowMinCalls { get; set; } = 100;

    /// <summary>Regressed: mean time up at least this much against the previous window of the same length.</summary>
    public double RegressionPercent { get; set; } = 50;

    /// <summary>N+1 suspect: a cheap statement (mean at most this, at most ~1 row per call)…</summary>
    public double NPlusOneMaxMeanMs { get; set; } = 1;

    /// <summary>…called at least this often per minute over the window.</summary>
    public double NPlusOneMinCallsPerMinute { get; set; } = 60;

    /// <summary>
    /// Unused indexes are listed once the target's statistics cover this many days: an index unused for an hour may
    /// serve a weekly job (a fresh install advised dropping 64 indexes after less than an hour).
    /// </summary>
    [Range(0, 365)]
    public double UnusedIndexMinStatisticsDays { get; set; } = 7;

    /// <summary>EXPLAIN ANALYZE is cut off after this long.</summary>
    [Range(100, 600_000)]
    public int ExplainAnalyzeTimeoutMs { get; set; } = 10_000;

    /// <summary>A sequential scan of a table with at least this many rows is highlighted in plans and counted in index advice.</summary>
    public long LargeTableRows { get; set; } = 10_000;

    /// <summary>Live activity: queries running longer than this are listed as long-running.</summary>
    public int LongRunningSeconds { get; set; } = 5;
}
