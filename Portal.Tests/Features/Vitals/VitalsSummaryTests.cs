using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Vitals;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Vitals;

/// <summary>
/// p75s and shares over events written at known instants, checked against a percentile computed here (the same
/// interpolation as percentile_cont) and against PostgreSQL's own percentile_cont over the same rows.
/// </summary>
public sealed class VitalsSummaryTests(VitalsSummaryTests.Seeded fixture) : IClassFixture<VitalsSummaryTests.Seeded>
{
    private static readonly string[] Pages = ["/", "/cart", "/checkout"];
    private static readonly string[] Devices = ["mobile", "desktop"];

    /// <summary>Four days of events, seeded once for the class: its tests read them (the rollup test writes the daily rows, which a rerun leaves unchanged).</summary>
    public sealed class Seeded : PortalOnFreshDatabase
    {
        public List<(DateTimeOffset At, string Metric, double Value, string Page, string Device)> Events { get; } = [];

        protected override async Task SeedAsync(NpgsqlConnection connection)
        {
            var random = new Random(7);
            var now = DateTimeOffset.UtcNow;
            for (var daysAgo = 0; daysAgo <= 3; daysAgo++)
            {
                for (var i = 0; i < 400; i++)
                {
                    var metric = VitalsMetric.All[i % VitalsMetric.All.Count];
                    var value = metric.Name == "CLS" ? Math.Round(random.NextDouble() * 0.5, 4) : Math.Round(random.NextDouble() * metric.Poor * 1.5);
                    var at = daysAgo == 0 ? now.AddMinutes(-random.Next(1, 600)) : new DateTimeOffset(now.UtcDateTime.Date.AddDays(-daysAgo).AddMinutes(random.Next(0, 1440)), TimeSpan.Zero);
                    Events.Add((at, metric.Name, value, Pages[random.Next(Pages.Length)], Devices[random.Next(Devices.Length)]));
                }
            }
            foreach (var e in Events)
            {
                await connection.ExecuteAsync("""
                    INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, page, device)
                    VALUES ('portal', @At, @Metric, @Value, @Value, @rating, gen_random_uuid()::text, @Page, @Device)
                    """, new { e.At, e.Metric, e.Value, e.Page, e.Device, rating = VitalsMetric.Find(e.Metric)!.RatingOf(e.Value) });
            }
        }
    }

    private PortalApp App => fixture.App;

    private TestDatabase Database => fixture.Database;

    private List<(DateTimeOffset At, string Metric, double Value, string Page, string Device)> Events => fixture.Events;

    private VitalsStore Store => App.Services.GetRequiredService<VitalsStore>();

    [Fact]
    public async Task LiveWindow_P75AndShares_EqualAnIndependentComputationOverTheSameRows()
    {
        var to = DateTimeOffset.UtcNow;
        var from = to.AddHours(-24);

        var summary = await Store.SummaryAsync("portal", from, to);

        foreach (var metric in VitalsMetric.All)
        {
            var values = Events.Where(e => e.Metric == metric.Name && e.At >= from && e.At < to).Select(e => e.Value).ToList();
            var row = summary.Single(m => m.Name == metric.Name);
            Assert.Equal(values.Count, row.Count);
            Assert.Equal(Expected.PercentileCont(values, 0.75), row.P75, 9);
            Assert.Equal(values.Count(v => metric.RatingOf(v) == VitalsRating.Good) / (double)values.Count, row.GoodShare, 12);
            Assert.Equal(values.Count(v => metric.RatingOf(v) == VitalsRating.Poor) / (double)values.Count, row.PoorShare, 12);
            Assert.Equal(1, row.GoodShare + row.NeedsImprovementShare + row.PoorShare, 12);
        }
    }

    [Fact]
    public async Task Rollups_EqualPercentileContPerGroup_RerunChangesNothing_AndLongWindowsWeighTheDays()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var days = new[] { today.AddDays(-3), today.AddDays(-2), today.AddDays(-1) };
        foreach (var day in days)
        {
            await Store.RollUpAsync(day);
        }
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        const string everything = "SELECT app, day, page, metric, device, count, p50, p75, p95, good, needs_improvement, poor FROM vitals_daily ORDER BY 1, 2, 3, 4, 5";
        var first = (await connection.QueryAsync(everything)).Select(row => JsonSerializer.Serialize(row)).ToList();

        // Per page and device, and the "*" rows: PostgreSQL's percentile_cont over the raw rows of the day.
        var mismatches = await connection.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM vitals_daily d
            WHERE abs(d.p75 - (SELECT percentile_cont(0.75) WITHIN GROUP (ORDER BY e.value) FROM vitals_events e
                               WHERE e.app = d.app AND e.metric = d.metric AND (d.page = '*' OR e.page = d.page) AND (d.device = '*' OR e.device = d.device)
                                 AND e.received_at >= d.day::timestamp AT TIME ZONE 'UTC' AND e.received_at < (d.day + 1)::timestamp AT TIME ZONE 'UTC')) > 1e-9
            """);
        Assert.Equal(0, mismatches);
        var allRow = await connection.QuerySingleAsync<(long Count, double P75, long Good)>(
            "SELECT count, p75, good FROM vitals_daily WHERE day = @day AND metric = 'LCP' AND page = '*' AND device = '*'", new { day = days[0].ToDateTime(TimeOnly.MinValue) });
        var lcp = Events.Where(e => e.Metric == "LCP" && DateOnly.FromDateTime(e.At.UtcDateTime) == days[0]).Select(e => e.Value).ToList();
        Assert.Equal((lcp.Count, Expected.PercentileCont(lcp, 0.75), lcp.Count(v => v <= 2_500)), (allRow.Count, Math.Round(allRow.P75, 9), allRow.Good));

        foreach (var day in days)
        {
            await Store.RollUpAsync(day);
        }
        Assert.Equal(first, (await connection.QueryAsync(everything)).Select(row => JsonSerializer.Serialize(row)).ToList());

        // Three whole days: counts and shares exact, the p75 the sample-weighted mean of the daily p75s.
        var from = new DateTimeOffset(days[0].ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var summary = (await Store.SummaryAsync("portal", from, from.AddDays(3))).Single(m => m.Name == "LCP");
        var perDay = days.Select(day => Events.Where(e => e.Metric == "LCP" && DateOnly.FromDateTime(e.At.UtcDateTime) == day).Select(e => e.Value).ToList()).ToList();
        Assert.Equal(perDay.Sum(values => values.Count), summary.Count);
        Assert.Equal(perDay.Sum(values => values.Count * Expected.PercentileCont(values, 0.75)) / perDay.Sum(values => values.Count), summary.P75, 9);
        Assert.Equal(perDay.Sum(values => values.Count(v => v > 4_000)) / (double)summary.Count, summary.PoorShare, 12);
    }

    [Fact]
    public async Task SummaryApi_AnswersTheDocumentedShape()
    {
        using var client = await App.SignedInClientAsync(PortalRoles.Viewer);

        using var body = JsonDocument.Parse(await client.GetStringAsync("/api/v1/vitals/summary?app=portal&window=24h&page=/cart"));

        var root = body.RootElement;
        Assert.Equal(("portal", "24h", "raw"), (root.GetProperty("app").GetString(), root.GetProperty("window").GetString(), root.GetProperty("source").GetString()));
        var inp = root.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "INP");
        var values = Events.Where(e => e.Metric == "INP" && e.Page == "/cart" && e.At >= DateTimeOffset.UtcNow.AddHours(-24)).Select(e => e.Value).ToList();
        Assert.Equal(values.Count, inp.GetProperty("count").GetInt64());
        Assert.Equal(Expected.PercentileCont(values, 0.75), inp.GetProperty("p75").GetDouble(), 9);
        foreach (var share in new[] { "goodShare", "needsImprovementShare", "poorShare" })
        {
            Assert.True(inp.TryGetProperty(share, out _), share);
        }
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/vitals/summary?app=nope")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await client.GetAsync("/api/v1/vitals/summary?window=3w")).StatusCode);
    }
}
