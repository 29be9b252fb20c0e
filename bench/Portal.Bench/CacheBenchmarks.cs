using System.Diagnostics;
using Microsoft.Extensions.Caching.Distributed;
using Portal.Features.Cache;
using Portal.Features.Prometheus;

namespace Portal.Bench;

/// <summary>A hit in each cache tier, p50 and p99, as ratios to the direct Prometheus range query it saves.</summary>
public static class CacheBenchmarks
{
    public static async Task RunAsync(IServiceProvider services, int iterations)
    {
        var prometheus = services.GetRequiredService<PrometheusClient>();
        var cache = services.GetRequiredService<PortalCache>();
        var redis = services.GetRequiredService<IDistributedCache>();
        var postgres = services.GetRequiredService<CacheEntryStore>();
        var until = DateTimeOffset.UtcNow;
        var from = until.AddHours(-1);
        var step = TimeSpan.FromSeconds(15);
        Task<PrometheusAnswer> Direct() => prometheus.QueryRangeAsync("up", from, until, step);

        var parameters = new { query = "up", from, until, step };
        var answer = await Direct();
        var key = PortalCache.KeyFor(CacheOptions.QueryStatistics, parameters);
        await cache.GetOrCreateAsync(CacheOptions.QueryStatistics, parameters, _ => ValueTask.FromResult(answer)); // fills memory, Redis and PostgreSQL

        var baseline = await MeasureAsync(iterations, async () => await Direct());
        var tiers = new (string Name, Func<Task> Hit)[]
        {
            ("memory", async () => await cache.GetOrCreateAsync<PrometheusAnswer>(CacheOptions.QueryStatistics, parameters, _ => throw new InvalidOperationException("miss"))),
            ("Redis", async () => _ = await redis.GetAsync(key) ?? throw new InvalidOperationException("Redis miss")),
            ("PostgreSQL", async () => _ = await postgres.ReadAsync<PrometheusAnswer>(key) ?? throw new InvalidOperationException("PostgreSQL miss")),
        };
        foreach (var (name, hit) in tiers)
        {
            var tier = await MeasureAsync(iterations, hit);
            Console.WriteLine($"{$"cache hit, {name} tier",-44} {tier.P50 / baseline.P50,8:F4}x range query   (p50 {tier.P50:F3} ms vs {baseline.P50:F3} ms; p99 {tier.P99:F3} ms vs {baseline.P99:F3} ms, {tier.P99 / baseline.P99:F4}x)");
        }
    }

    private static async Task<(double P50, double P99)> MeasureAsync(int iterations, Func<Task> action)
    {
        await action();
        var samples = new List<double>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await action();
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        samples.Sort();
        return (samples[samples.Count / 2], samples[(int)Math.Ceiling(samples.Count * 0.99) - 1]);
    }
}
