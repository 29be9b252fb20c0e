namespace Portal.Features.Cache;

/// <summary>One kind of cached result: how long it stays fresh, and whether PostgreSQL keeps it as a third tier.</summary>
public sealed class CacheCategoryOptions
{
    public int TtlSeconds { get; set; }

    /// <summary>Also keep results in PostgreSQL (they survive restarts and Redis outages).</summary>
    public bool Persist { get; set; }

    public TimeSpan Ttl => TimeSpan.FromSeconds(TtlSeconds);
}

public sealed class CacheOptions
{
    public const string Section = "Cache";

    public const string PrometheusRange = "prometheus-range";
    public const string PrometheusInstant = "prometheus-instant";
    public const string QueryStatistics = "query-statistics";
    public const string Scorecards = "scorecards";
    public const string Reports = "reports";

    /// <summary>Categories by name; configuration overrides these defaults key by key.</summary>
    public Dictionary<string, CacheCategoryOptions> Categories { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        [PrometheusRange] = new() { TtlSeconds = 60 },
        [PrometheusInstant] = new() { TtlSeconds = 15 },
        [QueryStatistics] = new() { TtlSeconds = 120, Persist = true },
        [Scorecards] = new() { TtlSeconds = 300, Persist = true },
        [Reports] = new() { TtlSeconds = 86_400, Persist = true },
    };

    /// <summary>
    /// The prefix of the portal's keys in Redis ("portal:" by default): installations that share one Redis each give
    /// their own, or one would read the other's cached results for the same question.
    /// </summary>
    [System.ComponentModel.DataAnnotations.RegularExpression("^[A-Za-z0-9_.:-]{1,64}$", ErrorMessage = "Cache:KeyPrefix is 1 to 64 letters, digits, '_', '.', ':' or '-'")]
    public string KeyPrefix { get; set; } = "portal:";

    /// <summary>Bytes the in-process memory tier may hold (serialized size); past it, entries are evicted. 256 MiB.</summary>
    public long MemoryLimitBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Rows the cleanup job deletes per statement (short statements, no long locks).</summary>
    public int CleanupBatchSize { get; set; } = 5_000;
}
