using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
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
    /// <summary>What the memory tier holds of this category now.</summary>
    public TierSize Memory { get; init; } = new(0, 0);

    /// <summary>Memory entries dropped for room (the memory tier's size limit).</summary>
    public long MemoryEvicted { get; init; }

    /// <summary>Memory entries dropped at the end of their TTL.</summary>
    public long MemoryExpired { get; init; }

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

    private static readonly Gauge MemoryEntries = Metrics.CreateGauge(
        "portal_cache_memory_entries", "Entries the memory tier holds now.", "category");

    private static readonly Gauge MemoryBytes = Metrics.CreateGauge(
        "portal_cache_memory_bytes", "Bytes of the entries the memory tier holds now (their serialized size).", "category");

    private static readonly Counter MemoryRemovals = Metrics.CreateCounter(
        "portal_cache_memory_removals_total", "Entries that left the memory tier, by reason (capacity is an eviction).", "category", "reason");

    /// <summary>
    /// The PromQL of the lookups counted over <paramref name="span"/> (e.g. <c>5m</c>): of one category, or by category
    /// when none is named; <paramref name="hitsOnly"/> leaves out those every tier missed.
    /// </summary>
    public static string LookupsQuery(string span, bool hitsOnly, string? category = null)
    {
        var matchers = string.Join(", ", new[]
        {
            category is null ? null : $"category=\"{category.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"",
            hitsOnly ? "tier!=\"computed\"" : null,
        }.OfType<string>());
        return $"sum{(category is null ? " by (category)" : "")} (increase(portal_cache_lookups_total{{{matchers}}}[{span}]))";
    }

    private sealed class Counts
    {
        public long MemoryEntries;
        public long MemoryBytes;
        public long MemoryEvicted;
        public long MemoryExpired;
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

    public void MemoryStored(string category, long bytes)
    {
        var entry = For(category);
        MemoryEntries.WithLabels(category).Set(Interlocked.Increment(ref entry.MemoryEntries));
        MemoryBytes.WithLabels(category).Set(Interlocked.Add(ref entry.MemoryBytes, bytes));
    }

    public void MemoryRemoved(string category, long bytes, EvictionReason reason)
    {
        var entry = For(category);
        MemoryEntries.WithLabels(category).Set(Interlocked.Decrement(ref entry.MemoryEntries));
        MemoryBytes.WithLabels(category).Set(Interlocked.Add(ref entry.MemoryBytes, -bytes));
        _ = reason switch
        {
            EvictionReason.Capacity => Interlocked.Increment(ref entry.MemoryEvicted),
            EvictionReason.Expired or EvictionReason.TokenExpired => Interlocked.Increment(ref entry.MemoryExpired),
            _ => 0,
        };
        MemoryRemovals.WithLabels(category, reason.ToString().ToLowerInvariant()).Inc();
    }

    public IReadOnlyList<CacheCategoryStatistics> Snapshot() => counts
        .OrderBy(pair => pair.Key, StringComparer.Ordinal)
        .Select(pair => new CacheCategoryStatistics(pair.Key, pair.Value.Requests,
            pair.Value.Requests - pair.Value.Redis - pair.Value.Database - pair.Value.Computed,
            pair.Value.Redis, pair.Value.Database, pair.Value.Computed, TimeSpan.FromTicks(pair.Value.ComputeTicks).TotalMilliseconds, pair.Value.RedisSkipped)
        {
            Memory = new TierSize(Interlocked.Read(ref pair.Value.MemoryEntries), Interlocked.Read(ref pair.Value.MemoryBytes)),
            MemoryEvicted = Interlocked.Read(ref pair.Value.MemoryEvicted),
            MemoryExpired = Interlocked.Read(ref pair.Value.MemoryExpired),
        })
        .ToList();
}
