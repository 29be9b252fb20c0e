using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;

namespace Portal.Features.Cache;

/// <summary>A cached value, and whether this call computed it.</summary>
public sealed record Cached<T>(T Value, bool FromCache);

/// <summary>
/// The portal's cache: memory → Redis (HybridCache, with its stampede protection) → PostgreSQL (for categories that
/// persist) → compute. Keys are <c>category:sha256(parameters)</c>; each category's TTL comes from configuration.
/// </summary>
public sealed class PortalCache(HybridCache hybrid, CacheEntryStore persisted, IOptions<CacheOptions> options, CacheStatistics statistics)
{
    public static string KeyFor(string category, object parameters) =>
        $"{category}:{Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(parameters, CacheSerializer.Json)))}";

    public CacheCategoryOptions Category(string category) =>
        options.Value.Categories.GetValueOrDefault(category) ?? throw new ArgumentException($"Unknown cache category '{category}'.", nameof(category));

    public async ValueTask<Cached<T>> GetOrCreateAsync<T>(string category, object parameters, Func<CancellationToken, ValueTask<T>> compute, CancellationToken cancellationToken = default)
    {
        var settings = Category(category);
        var key = KeyFor(category, parameters);
        statistics.Requested(category);
        var computedHere = new StrongBox<bool>();
        var entry = new HybridCacheEntryOptions { Expiration = settings.Ttl, LocalCacheExpiration = settings.Ttl };
        var value = await hybrid.GetOrCreateAsync(key, (cache: this, category, key, settings, compute, computedHere),
            static (state, token) => state.cache.FromDatabaseOrComputeAsync(state.category, state.key, state.settings, state.compute, state.computedHere, token),
            entry, [category], cancellationToken);
        return new Cached<T>(value, !computedHere.Value);
    }

    /// <summary>Drops a category from every tier.</summary>
    public async Task FlushAsync(string category, CancellationToken cancellationToken = default)
    {
        Category(category);
        await hybrid.RemoveByTagAsync(category, cancellationToken);
        await persisted.DeleteCategoryAsync(category, cancellationToken);
    }

    private async ValueTask<T> FromDatabaseOrComputeAsync<T>(
        string category, string key, CacheCategoryOptions settings, Func<CancellationToken, ValueTask<T>> compute, StrongBox<bool> computedHere, CancellationToken cancellationToken)
    {
        if (settings.Persist && await persisted.ReadAsync<T>(key, cancellationToken) is { } row)
        {
            statistics.Answered(category, CacheTier.Database);
            return row.Value!;
        }

        var started = Stopwatch.GetTimestamp();
        var value = await compute(cancellationToken);
        statistics.ComputeTook(category, Stopwatch.GetElapsedTime(started));
        statistics.Answered(category, CacheTier.Computed);
        computedHere.Value = true;
        if (settings.Persist)
        {
            await persisted.WriteAsync(key, category, value, settings.Ttl, cancellationToken);
        }
        return value;
    }
}
