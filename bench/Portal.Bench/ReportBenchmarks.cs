using Dapper;
using Npgsql;
using Portal.Features.Reports;

namespace Portal.Bench;

/// <summary>
/// The baseline report over a busy fortnight: 300,000 Web Vitals events on 100 pages (and whatever the other sources
/// hold), computed and rendered (HTML with its charts) as the weekly job does. Ratio to <c>SELECT count(*) FROM
/// vitals_events</c> in the same run.
/// </summary>
public static class ReportBenchmarks
{
    private const int Events = 300_000;

    public static async Task RunAsync(IServiceProvider services, int iterations)
    {
        var portal = services.GetRequiredService<NpgsqlDataSource>();
        var builder = services.GetRequiredService<BaselineReportBuilder>();
        var mail = services.GetRequiredService<ReportMail>();
        var week = ReportPeriod.Last(ReportSchedules.Weekly, DateTimeOffset.UtcNow, "UTC");
        await using (var connection = await portal.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, page, device)
                SELECT 'portal', @from + (i % 1209600) * interval '1 second', (ARRAY['LCP', 'INP', 'CLS', 'FCP', 'TTFB'])[1 + i % 5],
                       500 + (i::bigint * 7919) % 4000, 0, 'good', 'bench-' || i, '/page-' || (i % 100), 'desktop'
                FROM generate_series(1, @events) AS i
                """, new { from = week.Previous.Start, events = Events }, commandTimeout: 600);
            await connection.ExecuteAsync("ANALYZE vitals_events");
        }
        async Task Count()
        {
            await using var connection = await portal.OpenConnectionAsync();
            await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM vitals_events");
        }
        Console.WriteLine(await new Benchmark("weekly report: compute", "SELECT count(*) FROM vitals_events",
            async () => _ = await builder.BuildAsync(ReportScope.Everything, week), Count).RunAsync(iterations));
        var report = await builder.BuildAsync(ReportScope.Everything, week);
        Console.WriteLine(await new Benchmark("weekly report: HTML and charts", "SELECT count(*) FROM vitals_events",
            async () => _ = await mail.ArchiveHtmlAsync(report, null), Count).RunAsync(iterations));
        Console.WriteLine($"({Events:N0} Web Vitals events over two weeks, {report.Opportunities.Count} opportunities ranked)");
    }
}
