using System.IO.Compression;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Lab;
using Portal.Features.Reports;
using Portal.Features.Vitals;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Reports;

/// <summary>
/// The lab half of a fixture week of service "shop", worked by hand: Lighthouse runs of its critical pages (and of a
/// blog outside the report's scope), the field's LCP of /checkout, and three load tests — the report's Lighthouse key
/// metric, its readiness verdict, the lab and load rows of its detailed analysis, Appendices A and B, and the e-mail
/// and archive that show them.
/// </summary>
public sealed class ReportLabFixtureTests(ReportLabFixtureTests.Seeded fixture) : IClassFixture<ReportLabFixtureTests.Seeded>
{
    private static readonly ReportPeriod Week = ReportPeriod.Last(ReportSchedules.Weekly, DateTimeOffset.UtcNow, "UTC");

    public sealed class Seeded : PortalOnFreshDatabase
    {
        protected override async Task SeedAsync(NpgsqlConnection connection)
        {
            // Lighthouse: /checkout on mobile scored 71 then 83 this week (its last run counts), 97 on desktop; / 92 on
            // mobile. The week before: /checkout 65, / 90. The blog's 10 is outside the report's scope.
            var runs = new (string Service, string Page, string Profile, int Day, double Performance, bool Previous, bool Report)[]
            {
                ("shop", "/checkout", "mobile", 1, 0.71, false, false), ("shop", "/checkout", "mobile", 5, 0.83, false, true),
                ("shop", "/checkout", "desktop", 5, 0.97, false, false), ("shop", "/", "mobile", 5, 0.92, false, false),
                ("shop", "/checkout", "mobile", 3, 0.65, true, false), ("shop", "/", "mobile", 3, 0.90, true, false),
                ("blog", "/posts", "mobile", 4, 0.10, false, false),
            };
            foreach (var run in runs)
            {
                await connection.ExecuteAsync("""
                    INSERT INTO lab_lighthouse_runs (service, page, profile, url, source, fetched_at, lighthouse, performance, accessibility, best_practices, seo,
                                                     lcp_ms, tbt_ms, cls, fcp_ms, speed_index_ms, failing, report)
                    VALUES (@Service, @Page, @Profile, 'https://shop.test' || @Page, 'scheduled', @at, '12.2.3', @Performance, 1, 0.96, 0.9,
                            3400, 250, 0.01, 1800, 3900, @failing::jsonb, @report)
                    """, new
                {
                    run.Service, run.Page, run.Profile, run.Performance,
                    at = (run.Previous ? Week.Previous.Start : Week.Start).AddDays(run.Day),
                    failing = """[{"id":"unused-javascript","title":"Reduce unused JavaScript","score":0.2,"displayValue":"Est savings of 300 KiB"}]""",
                    report = run.Report ? Gzip("""{"lighthouseVersion":"12.2.3"}""") : null,
                });
            }

            // The field: four LCP samples of /checkout on the week's third day, rolled up (p75 of 2,000, 2,400, 2,800, 3,200 ms: 2,900 ms).
            await connection.ExecuteAsync("INSERT INTO vitals_apps (id, name, public_key) VALUES ('shop', 'Shop', 'pk_shop_lab')");
            var day = Week.Start.AddDays(2);
            foreach (var (value, index) in new[] { 2_000d, 2_400, 2_800, 3_200 }.Select((value, index) => (value, index)))
            {
                await connection.ExecuteAsync("""
                    INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, page, device)
                    VALUES ('shop', @at, 'LCP', @value, @value, 'good', @id, '/checkout', 'mobile')
                    """, new { at = day.AddHours(1 + index), value, id = $"lcp-{index}" });
            }
            await App.Services.GetRequiredService<VitalsStore>().RollUpAsync(DateOnly.FromDateTime(day.UtcDateTime));

            // Load tests: 1,000 users met every target (day 2); 1,200 users later had a p97.5 of 1.5 s (autocannon: no p95)
            // against the 1 s API target (day 4); 100 users on day 6 is under the verdict's 1,000.
            var tests = new (string Scenario, string Tool, int Day, int Users, long Requests, long Errors, string Percentiles, string Thresholds)[]
            {
                ("checkout", "k6", 2, 1_000, 120_000, 60, """{"p50":80.5,"p90":150.4,"p95":180.9}""", """{"http_req_duration: p(95)<200":true}"""),
                ("checkout", "autocannon", 4, 1_200, 50_000, 10, """{"p50":400,"p90":900,"p97.5":1500,"p99":2100}""", "{}"),
                ("browse", "autocannon", 6, 100, 9_000, 0, """{"p50":20,"p90":40,"p97.5":60,"p99":80}""", "{}"),
            };
            foreach (var test in tests)
            {
                await connection.ExecuteAsync("""
                    INSERT INTO lab_load_tests (service, scenario, tool, started_at, duration_s, users, requests, errors, throughput, percentiles, thresholds, summary)
                    VALUES ('shop', @Scenario, @Tool, @at, 300, @Users, @Requests, @Errors, @Requests / 300.0, @Percentiles::jsonb, @Thresholds::jsonb, @summary)
                    """, new { test.Scenario, test.Tool, at = Week.Start.AddDays(test.Day), test.Users, test.Requests, test.Errors, test.Percentiles, test.Thresholds, summary = Gzip("{}") });
            }
        }

        private static byte[] Gzip(string text)
        {
            using var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
            {
                gzip.Write(System.Text.Encoding.UTF8.GetBytes(text));
            }
            return output.ToArray();
        }
    }

    private Task<BaselineReport> BuildAsync() =>
        fixture.App.Services.GetRequiredService<BaselineReportBuilder>().BuildAsync(new ReportScope(["shop"], ["shop"], []), Week);

    [Fact]
    public async Task LighthouseKeyMetric_TheLowestLastScore_AgainstTheWeekBefore_AndPagesUnderTheTargetAsFindings()
    {
        var report = await BuildAsync();

        var lighthouse = report.KeyMetrics.Single(metric => metric.Name == BaselineReportBuilder.Names.Lighthouse);
        Assert.Equal((83d, 65d, 90d), (lighthouse.Current!.Value, lighthouse.Previous!.Value, lighthouse.Target));
        Assert.Equal(MetricStatus.NotMet, lighthouse.Status);
        Assert.Equal("Lighthouse performance, the lowest of 2 critical pages: shop /checkout (mobile)", lighthouse.Source);
        var finding = Assert.Single(report.Findings, finding => finding.Kind == "lab");
        Assert.Equal("Lighthouse performance of shop /checkout (mobile) is 83, under 90", finding.Title);
        Assert.Contains("Reduce unused JavaScript (Est savings of 300 KiB)", finding.Detail, StringComparison.Ordinal);

        var lab = report.Details.Single(section => section.Title == "Lab (Lighthouse)");
        Assert.Equal(["shop / mobile 92 —", "shop /checkout mobile 83 2.9 s", "shop /checkout desktop 97 2.9 s"],
            lab.Rows.Select(row => $"{row.Name} {row.Cells[0]} {row.Cells[1]} {row.Cells[4]}"));
        Assert.Contains(report.TestConfigurations, line => line.StartsWith("Lighthouse 12.2.3 on shop: /, /checkout; profiles mobile, desktop", StringComparison.Ordinal)
            && line.EndsWith("4 run(s) in the period.", StringComparison.Ordinal));
        var raw = Assert.Single(report.RawData, link => link.Label.StartsWith("Lighthouse", StringComparison.Ordinal));
        Assert.Equal("Lighthouse report, shop /checkout (mobile)", raw.Label);
    }

    [Fact]
    public async Task Readiness_TheLatestRunAtTheUserCountDecides_NoWithItsReason()
    {
        var report = await BuildAsync();

        var readiness = report.Readiness!;
        Assert.Equal((1_000, "No"), (readiness.Users, readiness.Verdict));
        Assert.Equal($"checkout at 1,200 concurrent users (autocannon, {Week.Start.AddDays(4).UtcDateTime:yyyy-MM-dd}): p97.5 1.5 s over the 1 s target", readiness.Reason);
        var load = report.Details.Single(section => section.Title == "Load tests");
        Assert.Equal(["shop checkout 1,000 180.9 ms 0.05 % passed", "shop checkout 1,200 1.5 s (p97.5) 0.02 % none", "shop browse 100 60 ms (p97.5) 0 % none"],
            load.Rows.Select(row => $"{row.Name} {row.Cells[1]} {row.Cells[3]} {row.Cells[4]} {row.Cells[5]}"));
        Assert.Equal(3, report.TestConfigurations.Count(line => line.StartsWith("Load test shop", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task EmailAndArchive_ShowTheLabRowsReadinessAndAppendices()
    {
        var report = await BuildAsync();
        var mail = fixture.App.Services.GetRequiredService<ReportMail>();

        var html = System.Net.WebUtility.HtmlDecode(await mail.ArchiveHtmlAsync(report, "https://portal.example.com")); // "1,000+" is written "1,000&#x2B;"
        var text = ReportMail.Text(report, new ReportMail.Links("https://portal.example.com", null, null));

        Assert.Contains("data-readiness=\"No\"", html, StringComparison.Ordinal);
        Assert.Contains("Readiness for 1,000+ users: No", html, StringComparison.Ordinal);
        Assert.Contains("data-metric=\"Lighthouse score\"", html, StringComparison.Ordinal);
        Assert.Contains("Frontend · Lab (Lighthouse)", html, StringComparison.Ordinal);
        Assert.Contains("API · Load tests", html, StringComparison.Ordinal);
        foreach (var heading in new[] { "Appendix A: raw data", "Appendix B: test configurations", "Appendix C: methodology" })
        {
            Assert.Contains(heading, html, StringComparison.Ordinal);
        }
        Assert.Contains("https://portal.example.com/lab/runs/", html, StringComparison.Ordinal);
        Assert.Contains("Readiness for 1,000+ users: No (checkout at 1,200 concurrent users", text, StringComparison.Ordinal);
        Assert.Contains("- Lighthouse score: 83 (target ≥ 90, Not met", text, StringComparison.Ordinal);
    }
}
