using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Reports;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Reports;

/// <summary>
/// A fixture fortnight of service "shop": Prometheus backfilled with known request latencies, errors and cache lookups
/// (hour by hour, last week and the week before), known Redis INFO readings, known Web Vitals. Every key metric and the
/// ranking of the opportunities are worked out by hand here.
/// </summary>
public sealed class ReportFixtureTests(ReportFixtureTests.Seeded fixture) : IClassFixture<ReportFixtureTests.Seeded>
{
    private static readonly ReportPeriod Week = ReportPeriod.Last(ReportSchedules.Weekly, DateTimeOffset.UtcNow, "UTC");
    private static readonly double[] Bounds = [0.1, 0.25, 0.5, 1, double.PositiveInfinity];

    // Cumulative bucket increments per hour: last week p95 falls inside (0.25, 0.5], the week before on 0.25 exactly.
    private static readonly double[] ThisWeek = [60, 90, 96, 99, 100];
    private static readonly double[] WeekBefore = [80, 95, 98, 100, 100];

    private static readonly double[] Checkout = [2_600, 3_100, 3_400, 3_900, 4_200, 4_800, 5_200, 6_000];
    private static readonly double[] Home = [900, 1_000, 1_100, 1_200, 1_300, 1_400, 1_500, 1_600, 1_700, 1_800, 1_900, 2_000];
    private static readonly double[] SearchInp = [300, 400, 500, 600];

    /// <summary>A word of each opportunity's title, in the hand-worked order.</summary>
    private static readonly string[] Ranked = ["category search", "orders", "items", "/checkout", "stock", "INP p75 of /search"];

    /// <summary>The hand-worked week, seeded once for the class: both tests only read the report built from it.</summary>
    public sealed class Seeded : PortalOnBackfilledPrometheus
    {
        protected override string OpenMetrics() => ReportFixtureTests.OpenMetrics();

        protected override async Task SeedAsync(NpgsqlConnection connection)
        {
            async Task VitalsAsync(string page, string metric, IEnumerable<double> values, DateTimeOffset from)
            {
                foreach (var (value, index) in values.Select((value, index) => (value, index)))
                {
                    await connection.ExecuteAsync("""
                        INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, page, device)
                        VALUES ('shop', @at, @metric, @value, @value, 'good', @id, @page, 'desktop')
                        """, new { at = from.AddHours(1 + index * 3), metric, value, id = $"{metric}{page}{from:yyyyMMdd}-{index}", page });
                }
            }
            await connection.ExecuteAsync("INSERT INTO vitals_apps (id, name, public_key) VALUES ('shop', 'Shop', 'pk_shop')");
            await SeedStatementsAsync(connection);
            await VitalsAsync("/checkout", "LCP", Checkout, Week.Start);
            await VitalsAsync("/home", "LCP", Home, Week.Start.AddDays(2));
            await VitalsAsync("/search", "INP", SearchInp, Week.Start.AddDays(3));
            // Redis INFO readings: 1,000 hits and 500 misses over the week before, 9,000 and 1,000 over last week.
            foreach (var (at, hits, misses) in new[] { (Week.Previous.Start, 0, 0), (Week.Start, 1_000, 500), (Week.End.AddMinutes(-1), 10_000, 1_500) })
            {
                await connection.ExecuteAsync("""
                    INSERT INTO redis_samples (name, at, keyspace_hits, keyspace_misses, used_memory_bytes, evicted_keys, expired_keys, ops_per_second, connected_clients, keys)
                    VALUES ('shop', @at, @hits, @misses, 0, 0, 0, 0, 1, 0)
                    """, new { at, hits, misses });
            }
        }
    }

    private static string OpenMetrics()
    {
        var latency = new StringBuilder("# HELP http_request_duration_seconds Latency.\n# TYPE http_request_duration_seconds histogram\n");
        var requests = new StringBuilder("# HELP http_requests_received Requests.\n# TYPE http_requests_received counter\n");
        var lookups = new StringBuilder("# HELP portal_cache_lookups Cache reads.\n# TYPE portal_cache_lookups counter\n");
        var compute = new StringBuilder("# HELP portal_cache_compute_seconds Compute time.\n# TYPE portal_cache_compute_seconds counter\n");
        var buckets = Bounds.Select(_ => 1_000.0).ToArray();
        var (ok, failed, searchMemory, searchComputed, searchSeconds, profileMemory, profileComputed) = (1_000.0, 100.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for (var hour = Week.Previous.Start; hour <= Week.End; hour = hour.AddHours(1))
        {
            var at = hour.ToUnixTimeSeconds();
            if (hour > Week.Previous.Start)
            {
                var thisWeek = hour > Week.Start;
                var increments = thisWeek ? ThisWeek : WeekBefore;
                for (var b = 0; b < Bounds.Length; b++)
                {
                    buckets[b] += increments[b];
                }
                (ok, failed) = thisWeek ? (ok + 98, failed + 2) : (ok + 99, failed + 1);
                (searchMemory, searchComputed, searchSeconds) = (searchMemory + 30, searchComputed + 70, searchSeconds + 35);
                (profileMemory, profileComputed) = (profileMemory + 90, profileComputed + 10);
            }
            for (var b = 0; b < Bounds.Length; b++)
            {
                var le = double.IsPositiveInfinity(Bounds[b]) ? "+Inf" : Bounds[b].ToString(CultureInfo.InvariantCulture);
                latency.AppendLine(CultureInfo.InvariantCulture, $"http_request_duration_seconds_bucket{{job=\"shop\",le=\"{le}\"}} {buckets[b]} {at}");
            }
            requests.AppendLine(CultureInfo.InvariantCulture, $"http_requests_received_total{{job=\"shop\",code=\"200\"}} {ok} {at}");
            requests.AppendLine(CultureInfo.InvariantCulture, $"http_requests_received_total{{job=\"shop\",code=\"500\"}} {failed} {at}");
            lookups.AppendLine(CultureInfo.InvariantCulture, $"portal_cache_lookups_total{{job=\"shop\",category=\"search\",tier=\"memory\"}} {searchMemory} {at}");
            lookups.AppendLine(CultureInfo.InvariantCulture, $"portal_cache_lookups_total{{job=\"shop\",category=\"search\",tier=\"computed\"}} {searchComputed} {at}");
            lookups.AppendLine(CultureInfo.InvariantCulture, $"portal_cache_lookups_total{{job=\"shop\",category=\"profile\",tier=\"memory\"}} {profileMemory} {at}");
            lookups.AppendLine(CultureInfo.InvariantCulture, $"portal_cache_lookups_total{{job=\"shop\",category=\"profile\",tier=\"computed\"}} {profileComputed} {at}");
            compute.AppendLine(CultureInfo.InvariantCulture, $"portal_cache_compute_seconds_total{{job=\"shop\",category=\"search\"}} {searchSeconds} {at}");
        }
        return latency.Append(requests).Append(lookups).Append(compute).AppendLine("# EOF").ToString();
    }


    // Statements of target "fixture" as the query snapshots store them: running totals at the three snapshots that
    // bound the two weeks. (calls, time ms) in the week before, then last week.
    private static readonly (long QueryId, string Query, (long Calls, double TimeMs) Before, (long Calls, double TimeMs) Last)[] Statements =
    [
        (1, "SELECT * FROM orders WHERE customer = $1", (1_000, 20_000), (1_000, 50_000)),    // 20 → 50 ms a call
        (2, "SELECT * FROM items WHERE id = $1", (700_000, 35_000), (700_000, 35_000)),       // 0.05 ms, 69 calls a minute, a row each: N+1
        (3, "UPDATE stock SET n = n - 1 WHERE sku = $1", (500, 10_000), (500, 5_000)),        // 20 → 10 ms
    ];

    private static async Task SeedStatementsAsync(NpgsqlConnection connection)
    {
        foreach (var at in new[] { Week.Previous.Start, Week.Start, Week.End })
        {
            await connection.ExecuteAsync("""
                INSERT INTO query_snapshots (target, taken_at, statements, moved, reset_detected, baseline, duration_ms)
                VALUES ('fixture', @at, 3, 3, false, @baseline, 1)
                """, new { at, baseline = at == Week.Previous.Start });
        }
        foreach (var (queryId, query, before, last) in Statements)
        {
            var id = await connection.ExecuteScalarAsync<long>("""
                INSERT INTO query_statements (target, query_id, user_id, db_id, toplevel, user_name, database_name, query, first_seen, last_moved, seen, running)
                VALUES ('fixture', @queryId, 10, 5, true, 'shop', 'shop', @query, @first, @moved, '{}', '{}') RETURNING id
                """, new { queryId, query, first = Week.Previous.Start, moved = Week.End });
            foreach (var (at, calls, time) in new[] { (Week.Previous.Start, 0L, 0.0), (Week.Start, before.Calls, before.TimeMs), (Week.End, before.Calls + last.Calls, before.TimeMs + last.TimeMs) })
            {
                await connection.ExecuteAsync("""
                    INSERT INTO query_totals (statement_id, taken_at, calls, total_time_ms, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written,
                                              temp_blks_read, temp_blks_written, blk_read_time_ms, blk_write_time_ms, wal_bytes, min_time_ms, max_time_ms, stddev_time_ms)
                    VALUES (@id, @at, @calls, @time, @calls, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                    """, new { id, at, calls, time });
            }
        }
    }

    private Task<BaselineReport> BuildAsync() =>
        fixture.App.Services.GetRequiredService<BaselineReportBuilder>().BuildAsync(new ReportScope(["shop"], ["shop"], ["fixture"]), Week);

    [Fact]
    public async Task KeyMetrics_EqualTheirHandWorkedValues()
    {
        var report = await BuildAsync();
        var metrics = report.KeyMetrics.ToDictionary(metric => metric.Name);

        // p95 of 100 requests an hour: rank 95 lies between the 90 under 0.25 s and the 96 under 0.5 s: 0.25 + 0.25 × 5/6 s.
        Assert.Equal(250 + 250 * 5.0 / 6, metrics[BaselineReportBuilder.Names.Api].Current!.Value, 6);
        // The week before: 95 of 100 under 0.25 s, rank 95 on the bucket's bound (interpolated from 0.1 s over 80 → 95).
        Assert.Equal(250, metrics[BaselineReportBuilder.Names.Api].Previous!.Value, 6);
        Assert.Equal((0.02, 0.01), (Math.Round(metrics[BaselineReportBuilder.Names.Errors].Current!.Value, 10), Math.Round(metrics[BaselineReportBuilder.Names.Errors].Previous!.Value, 10)));
        Assert.Equal(9_000.0 / 10_000, metrics[BaselineReportBuilder.Names.Cache].Current!.Value, 10);
        Assert.Equal(1_000.0 / 1_500, metrics[BaselineReportBuilder.Names.Cache].Previous!.Value, 10);
        Assert.Equal(Expected.PercentileCont(Checkout.Concat(Home), 0.95), metrics[BaselineReportBuilder.Names.PageLoad].Current!.Value, 6);
        // Every statement's time over every call: (50,000 + 35,000 + 5,000) / 701,500; the week before 65,000 / 701,500.
        Assert.Equal(90_000.0 / 701_500, metrics[BaselineReportBuilder.Names.Database].Current!.Value, 10);
        Assert.Equal(65_000.0 / 701_500, metrics[BaselineReportBuilder.Names.Database].Previous!.Value, 10);
        Assert.Equal((168 * 100L, 0, 7, 2), (report.Coverage.Requests, report.Coverage.DaysWithoutPrometheus, report.Coverage.Days, report.Coverage.Snapshots));

        // Page load (5.6 s > 2.5 s) and errors (2 % > 1 %) miss their targets: Critical by the stated rule.
        Assert.Equal((ReportHealth.Critical, "missed targets: Page load p95, Error rate"), (report.Health, report.HealthReason));
        var pageLoadPoints = 100 * 2_500 / Expected.PercentileCont(Checkout.Concat(Home), 0.95);
        Assert.Equal(Math.Round((pageLoadPoints + 100 + 100 + 50 + 100) / 5, 1), report.Score); // page load, API, database, errors, cache
    }

    [Fact]
    public async Task Opportunities_RankedAsWorkedByHand()
    {
        var report = await BuildAsync();

        // search cache: 35 s of computing its misses an hour × 168 h = 5,880 s; profile answers 90 %: none.
        // Statements by their database time: orders 50 s, items 35 s (an N+1 suspect), stock 5 s.
        // /checkout LCP p75 4,900 ms: (4,900 − 2,500) × 8 views = 19,200 ms; /search INP p75 525 ms: (525 − 200) × 4 = 1,300 ms.
        Assert.Equal(
            [("cache", 5_880_000.0), ("statement", 50_000.0), ("n+1", 35_000.0), ("frontend", 19_200.0), ("statement", 5_000.0), ("frontend", 1_300.0)],
            report.Opportunities.Select(opportunity => (opportunity.Kind, Math.Round(opportunity.ImpactMs, 6))));
        Assert.Equal(Ranked, report.Opportunities.Select(opportunity => Ranked.First(word => opportunity.Title.Contains(word, StringComparison.Ordinal))));
        Assert.Equal("/queries/1?target=fixture", report.Opportunities[1].Link);
        // The largest regressions: orders' mean 20 → 50 ms (+150 %), errors 1 % → 2 % (+100 %), API p95 250 → 458 ms (+83 %),
        // database time per call +38 %; the improvements: stock's mean 20 → 10 ms (−50 %), the cache hit ratio 66.7 % → 90 % (+35 %).
        Assert.Equal(["mean time of SELECT * FROM orders WHERE customer = $1 (fixture)", BaselineReportBuilder.Names.Errors, BaselineReportBuilder.Names.Api, BaselineReportBuilder.Names.Database],
            report.Regressions.Select(movement => movement.What));
        Assert.Equal(["mean time of UPDATE stock SET n = n - 1 WHERE sku = $1 (fixture)", BaselineReportBuilder.Names.Cache], report.Improvements.Select(movement => movement.What));
        Assert.Contains("index advice of fixture: not a configured query target", report.Coverage.Gaps);
    }
}
