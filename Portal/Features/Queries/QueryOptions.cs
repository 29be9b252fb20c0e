using System.ComponentModel.DataAnnotations;

namespace Portal.Features.Queries;

/// <summary>A monitored PostgreSQL database. Its connection string comes from configuration or the environment and is never shown back.</summary>
public sealed class QueryTargetOptions
{
    public string? ConnectionString { get; set; }

    public string? Description { get; set; }

    /// <summary>
    /// Users whose statements are out of the target's scope (its lists, alerts, report), comma-separated. Unset: the
    /// target's own role when it has one (the monitoring role reading it), <c>postgres</c> and <c>postgres_exporter</c>
    /// (an administrator's one-off work, an exporter's polling); empty: none.
    /// </summary>
    public string? ExcludeUsers { get; set; }

    /// <summary>Only the statements of these databases are in scope (comma-separated); unset or empty: every database.</summary>
    public string? Databases { get; set; }

    /// <summary>Statements called fewer times than this in a window are out of scope (a one-off in psql is not a workload).</summary>
    [Range(1, long.MaxValue)]
    public long MinCalls { get; set; } = 1;
}

/// <summary>
/// Which of a target's statements the portal judges by default (its lists, the <c>query</c> alert source, the report's
/// opportunities, what changed): not those of <see cref="ExcludedUsers"/>, only those of <see cref="Databases"/> (empty:
/// all), called at least <see cref="MinCalls"/> times in the window. Every statement can still be shown (<c>scope=all</c>).
/// </summary>
public sealed record StatementScope(IReadOnlyList<string> ExcludedUsers, IReadOnlyList<string> Databases, long MinCalls)
{
    public static readonly StatementScope Everything = new([], [], 1);

    /// <summary>The users excluded when a target does not say: an administrator's and the usual exporter's role.</summary>
    public static readonly IReadOnlyList<string> DefaultExcludedUsers = ["postgres", "postgres_exporter"];

    /// <summary>A target's scope from its options; <paramref name="ownRole"/> is the role it connects as when that is a role of its own (a monitoring role).</summary>
    public static StatementScope Of(QueryTargetOptions options, string? ownRole) => new(
        options.ExcludeUsers is { } listed ? Split(listed) : [.. (ownRole is null ? [] : new[] { ownRole }).Concat(DefaultExcludedUsers).Distinct()],
        Split(options.Databases), options.MinCalls);

    /// <summary>In words, for the pages: "all users but portal_monitor, postgres · every database · at least 1 call".</summary>
    public string Describe() =>
        $"{(ExcludedUsers.Count == 0 ? "every user" : $"every user but {string.Join(", ", ExcludedUsers)}")} · " +
        $"{(Databases.Count == 0 ? "every database" : $"databases {string.Join(", ", Databases)}")} · at least {MinCalls:N0} call{(MinCalls == 1 ? "" : "s")} in the window";

    private static string[] Split(string? list) => (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
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

    /// <summary>Activity samples are kept this long, then folded into hourly rows (lock waits are then dropped).</summary>
    [Range(1, 90)]
    public int ActivityRawDays { get; set; } = 3;

    /// <summary>Hourly activity rows are kept this long.</summary>
    [Range(1, 3_650)]
    public int ActivityHourlyDays { get; set; } = 90;

    /// <summary>When a maintenance risk (wraparound, a sequence's end, connections) is a warning and critical.</summary>
    public RiskThresholdOptions Risks { get; set; } = new();
}
