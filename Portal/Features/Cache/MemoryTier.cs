using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Portal.Features.Cache;

/// <summary>
/// HybridCache's memory tier, counted per category. HybridCache takes its <see cref="IMemoryCache"/> from the container
/// and keeps no per-key statistics, so this decorator watches every entry it commits and every entry that leaves.
/// The tier is bounded (<see cref="CacheOptions.MemoryLimitBytes"/>): past it, entries are evicted.
/// </summary>
public sealed class MemoryTier(IOptions<CacheOptions> options, CacheStatistics statistics) : IMemoryCache
{
    /// <summary>What an entry of unknown size counts against the limit (the proxy sign-in's small user records).</summary>
    public const long UnknownSizeBytes = 1_024;

    private readonly MemoryCache inner = new(Options.Create(new MemoryCacheOptions { SizeLimit = options.Value.MemoryLimitBytes }));

    public ICacheEntry CreateEntry(object key) => new CountedEntry(inner.CreateEntry(key), CategoryOf(key), statistics);

    public bool TryGetValue(object key, out object? value) => inner.TryGetValue(key, out value);

    public void Remove(object key) => inner.Remove(key);

    public void Dispose() => inner.Dispose();

    // Keys are "category:hash"; HybridCache's own bookkeeping entries (tags) have no configured category.
    private string? CategoryOf(object key) =>
        key is string text && text.IndexOf(':') is > 0 and var colon && options.Value.Categories.ContainsKey(text[..colon]) ? text[..colon] : null;

    /// <summary>Counts the entry when it is committed (disposed), and uncounts it when it is evicted, expires or is replaced.</summary>
    private sealed class CountedEntry(ICacheEntry entry, string? category, CacheStatistics statistics) : ICacheEntry
    {
        public object Key => entry.Key;
        public object? Value { get => entry.Value; set => entry.Value = value; }
        public DateTimeOffset? AbsoluteExpiration { get => entry.AbsoluteExpiration; set => entry.AbsoluteExpiration = value; }
        public TimeSpan? AbsoluteExpirationRelativeToNow { get => entry.AbsoluteExpirationRelativeToNow; set => entry.AbsoluteExpirationRelativeToNow = value; }
        public TimeSpan? SlidingExpiration { get => entry.SlidingExpiration; set => entry.SlidingExpiration = value; }
        public IList<IChangeToken> ExpirationTokens => entry.ExpirationTokens;
        public IList<PostEvictionCallbackRegistration> PostEvictionCallbacks => entry.PostEvictionCallbacks;
        public CacheItemPriority Priority { get => entry.Priority; set => entry.Priority = value; }
        public long? Size { get => entry.Size; set => entry.Size = value; }

        public void Dispose()
        {
            var bytes = entry.Size ??= UnknownSizeBytes; // a bounded MemoryCache refuses entries without a size
            if (category is null)
            {
                entry.Dispose();
                return;
            }
            statistics.MemoryStored(category, bytes);
            entry.RegisterPostEvictionCallback(static (_, _, reason, state) =>
            {
                var (statistics, category, bytes) = ((CacheStatistics, string, long))state!;
                statistics.MemoryRemoved(category, bytes, reason);
            }, (statistics, category, bytes));
            entry.Dispose();
        }
    }
}
