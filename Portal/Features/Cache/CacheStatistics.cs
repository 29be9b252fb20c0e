using System.Collections.Concurrent;
using Prometheus;

namespace Portal.Features.Cache;

/// <summary>Where a cached read was answered.</summary>
public enum CacheTier
{
    Memory,
    Redis,
    Database,
    Computed,
}

/// <summary>Counts of one category, as the Cache page and <c>/metrics</c> show them.</summary>
public sealed record CacheCategoryStatistics(
    string Category, long Requests, long MemoryHits, long RedisHits, long DatabaseHits, long Computed, double ComputeMs, long RedisSkipped)
{
    public long Hits => Requests - Computed;

    public double HitRatio => Requests == 0 ? 0 : (double)Hits / Requests;

    /// <summary>Compute time the hits spared, at this category's average compute time.</summary>
    public double ComputeMsSaved => Computed == 0 ? 0 : Hits * (ComputeMs / Computed);
}

/// <summary>Per-category, per-tier counters of the portal's cache, exported to Prometheus as they change.</summary>
public sealed class CacheStatistics
{
    private static readonly Counter Lookups = Metrics.CreateCounter(
        "portal_cache_lookups_total", "Cache reads by category and by the tier that answered (computed: every tier missed).", "category", "tier");

    private static readonly Counter ComputeSeconds = Metrics.CreateCounter(
        "portal_cache_compute_seconds_total", "Time spent computing results the cache did not have.", "category");

    private sealed class Counts
    {
        public long Requests;
        public long Memory;
        public long Redis;
        public long Database;
        public long Computed;
        public long ComputeTicks;
        public long RedisSkipped;
    }

    private readonly ConcurrentDictionary<string, Counts> counts = new(StringComparer.OrdinalIgnoreCase);

    private Counts For(string category) => counts.GetOrAdd(category, _ => new Counts());

    public void Requested(string category) => Interlocked.Increment(ref For(category).Requests);

    public void Answered(string category, CacheTier tier)
    {
        var entry = For(category);
        _ = tier switch
        {
            CacheTier.Redis => Interlocked.Increment(ref entry.Redis),
            CacheTier.Database => Interlocked.Increment(ref entry.Database),
            CacheTier.Computed => Interlocked.Increment(ref entry.Computed),
            _ => Interlocked.Increment(ref entry.Memory),
        };
        Lookups.WithLabels(category, tier.ToString().ToLowerInvariant()).Inc();
    }

    public void ComputeTook(string category, TimeSpan duration)
    {
        Interlocked.Add(ref For(category).ComputeTicks, duration.Ticks);
        ComputeSeconds.WithLabels(category).Inc(duration.TotalSeconds);
    }

    /// <summary>A Redis read or write not attempted because Redis is down (the tier is circuit-broken).</summary>
    public void RedisSkipped(string category) => Interlocked.Increment(ref For(category).RedisSkipped);

    public IReadOnlyList<CacheCategoryStatistics> Snapshot() => counts
        .OrderBy(pair => pair.Key, StringComparer.Ordinal)
        .Select(pair => new CacheCategoryStatistics(pair.Key, pair.Value.Requests,
            pair.Value.Requests - pair.Value.Redis - pair.Value.Database - pair.Value.Computed,
            pair.Value.Redis, pair.Value.Database, pair.Value.Computed, TimeSpan.FromTicks(pair.Value.ComputeTicks).TotalMilliseconds, pair.Value.RedisSkipped))
        .ToList();
}
