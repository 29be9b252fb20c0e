using System.Diagnostics;
using System.Text;
using Dapper;
using Npgsql;
using Portal.Features.Cache;
using Portal.Features.Jobs;
using Portal.Features.Scorecards;

namespace Portal.Bench;

/// <summary>
/// Scorecards at scale: a catalogue of 100 objectives of every kind with 30 days of 5-minute SLI samples (rolled up
/// nightly as in production). Every figure is a ratio to <c>SELECT count(*) FROM sli_samples</c> in the same run: the
/// scorecards cold (cache flushed) and warm, one objective's detail, and a regular 5-minute evaluation of all 100.
/// </summary>
public static class ScorecardBenchmarks
{
    public const int Objectives = 100;
    private const int Days = 30;
    private static readonly string[] Kinds = ["latency", "query", "vitals", "cache", "job"];
    private static readonly string[] Windows = ["28d", "7d", "30d", "month"];

    private static string Kind(int i) => Kinds[i % Kinds.Length];

    /// <summary>Writes the benchmark's catalogue and returns its path (set as Scorecards:CatalogueFile before the app is built).</summary>
    public static string WriteCatalogue()
    {
        var yaml = new StringBuilder("services:\n");
        for (var service = 0; service < 10; service++)
        {
            yaml.Append($"  - name: service-{service}\n    team: team-{service % 3}\n    objectives:\n");
            for (var i = service * 10; i < service * 10 + 10; i++)
            {
                var sli = Kind(i) switch
                {
                    "latency" => $"{{ kind: latency, metric: bench_request_duration_seconds, matchers: {{ job: bench-{i} }}, p95: 2s, p99: 3s }}",
                    "query" => $"{{ kind: query, target: portal, pattern: bench_t{i % 50}, mean_below: 50ms }}",
                    "vitals" => $"{{ kind: vitals, app: portal, metric: LCP, page: /p{i}, p75: 2.5s }}",
                    "cache" => "{ kind: cache, redis: portal, hit_ratio_above: 80% }",
                    _ => "{ kind: job, job: \"*\" }",
                };
                yaml.Append($"      - {{ id: bench-{i}, title: Objective {i}, priority: P{i % 3}, window: {Windows[i % Windows.Length]}, sli: {sli} }}\n");
            }
        }
        var path = Path.Combine(Directory.CreateTempSubdirectory("portal-bench-slas-").FullName, "slas.yaml");
        File.WriteAllText(path, yaml.ToString());
        return path;
    }

    public static async Task RunAsync(IServiceProvider services, int iterations)
    {
        var portal = services.GetRequiredService<NpgsqlDataSource>();
        var catalogue = services.GetRequiredService<SlaCatalogueSource>();
        await catalogue.StartAsync(CancellationToken.None);
        var objectives = catalogue.Current?.Objectives.Count ?? throw new InvalidOperationException($"The benchmark catalogue did not load: {string.Join("; ", catalogue.Errors)}");
        var scorecards = services.GetRequiredService<Scorecards>();
        var evaluation = services.GetRequiredService<ScorecardEvaluation>();
        var cache = services.GetRequiredService<PortalCache>();

        var rows = await BackfillAsync(portal);
        var rolled = await evaluation.RollUpAsync(CancellationToken.None);

        async Task Count()
        {
            await using var connection = await portal.OpenConnectionAsync();
            await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM sli_samples");
        }
        var baseline = new Benchmark("", "", Count, Count);
        var cold = await new Benchmark("scorecards, 100 objectives, cache cold", "SELECT count(*) FROM sli_samples", async () =>
        {
            await cache.FlushAsync(CacheOptions.Scorecards);
            _ = await scorecards.GetAsync();
        }, Count).RunAsync(Math.Min(iterations, 20));
        var warm = await new Benchmark("scorecards, 100 objectives, cache warm", "SELECT count(*) FROM sli_samples", async () => _ = await scorecards.GetAsync(), Count)
            .RunAsync(iterations);
        var detail = await new Benchmark("objective detail (30 days, what changed)", "SELECT count(*) FROM sli_samples",
            async () => _ = await scorecards.DetailAsync("bench-0", "30d"), Count).RunAsync(Math.Min(iterations, 20));

        // A regular run: every objective one 5-minute interval behind.
        var runs = new List<double>();
        for (var run = 0; run < 3; run++)
        {
            await using (var connection = await portal.OpenConnectionAsync())
            {
                await connection.ExecuteAsync("UPDATE sli_evaluations SET evaluated_through = evaluated_through - interval '5 minutes'");
            }
            var started = Stopwatch.GetTimestamp();
            try
            {
                await evaluation.RunAsync(NoJobProgress.Instance, CancellationToken.None);
            }
            catch (InvalidOperationException)
            {
                // Objectives whose source has no data here are noted by the run; the timing is what is measured.
            }
            runs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        runs.Sort();
        var count = (await baseline.RunAsync(5)).MedianMs;
        Console.WriteLine($"({objectives} objectives, {rows:N0} 5-minute samples over {Days} days, {rolled:N0} daily rows after the rollup)");
        Console.WriteLine(cold);
        Console.WriteLine(warm);
        Console.WriteLine(detail);
        Console.WriteLine($"{"evaluation of 100 objectives, one interval",-44} {runs[1] / count,8:F2}x SELECT count(*) FROM sli_samples   (median {runs[1]:F1} ms vs {count:F3} ms)");
    }

    // 30 days of samples per objective in one statement; latency samples carry 12 buckets, vitals ones 4 percentiles.
    internal static async Task<long> BackfillAsync(NpgsqlDataSource portal)
    {
        await using var connection = await portal.OpenConnectionAsync();
        await connection.ExecuteAsync("TRUNCATE sli_samples, sli_daily, sli_evaluations");
        var kinds = Enumerable.Range(0, Objectives).Select(Kind).ToArray();
        await connection.ExecuteAsync("""
            INSERT INTO sli_samples (objective_id, at, good, total, value, weight, le, counts, percentiles)
            SELECT 'bench-' || o, at, 0.995 * 100, 100, 10 + (o + extract(minute FROM at)) % 7, 100,
                   CASE WHEN kinds[o + 1] = 'latency' THEN ARRAY[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 'Infinity']::float8[] END,
                   CASE WHEN kinds[o + 1] = 'latency' THEN ARRAY[5, 10, 20, 35, 50, 70, 85, 95, 99, 99.5, 99.9, 100]::float8[] END,
                   CASE WHEN kinds[o + 1] = 'vitals' THEN ARRAY[1800, 2400, 3100, 5000]::float8[] END
            FROM generate_series(0, @objectives - 1) AS o,
                 generate_series(date_trunc('hour', now()) - make_interval(days => @days), date_trunc('hour', now()), interval '5 minutes') AS at,
                 (SELECT @kinds::text[] AS kinds) k
            """, new { objectives = Objectives, days = Days, kinds }, commandTimeout: 600);
        await connection.ExecuteAsync("""
            INSERT INTO sli_evaluations (objective_id, evaluated_through, evaluated_at)
            SELECT 'bench-' || o, to_timestamp(floor(extract(epoch FROM now() - interval '1 minute') / 300) * 300), now()
            FROM generate_series(0, @objectives - 1) AS o
            """, new { objectives = Objectives });
        await connection.ExecuteAsync("ANALYZE sli_samples");
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM sli_samples");
    }

}
