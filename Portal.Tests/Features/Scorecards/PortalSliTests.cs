using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Cache;
using Portal.Features.Queries;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;
using StackExchange.Redis;

namespace Portal.Tests.Features.Scorecards;

/// <summary>The SLIs read from the portal's own tables (query snapshots, Web Vitals, Redis samples), their storage, and the API.</summary>
public sealed class PortalSliTests(SharedPortal portal) : IClassFixture<SharedPortal> // each test reads tables, names and samples of its own
{
    private SliEvaluator Evaluator => portal.App.Services.GetRequiredService<SliEvaluator>();

    private SliSampleStore Store => portal.App.Services.GetRequiredService<SliSampleStore>();

    private static DateTimeOffset Mark => SliEvaluator.Floor(DateTimeOffset.UtcNow);

    [Fact]
    public async Task Query_CallWeightedMean_EqualsTwoPgStatStatementsReadings()
    {
        await using var connection = new NpgsqlConnection(portal.Database.ConnectionString);
        await connection.ExecuteAsync("CREATE TABLE sli_probe_items (id int PRIMARY KEY); INSERT INTO sli_probe_items SELECT generate_series(1, 20000);");
        var snapshots = portal.App.Services.GetRequiredService<QuerySnapshots>();
        await snapshots.TakeAsync(QueryOptions.PortalTarget);
        // The reading's own text must not match the pattern: it names the table in two pieces.
        const string reading = """
            SELECT coalesce(sum(calls), 0)::float8 AS calls, coalesce(sum(total_exec_time), 0) AS time
            FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE '%' || 'sli_probe' || '_items%'
            """;
        var before = await connection.QuerySingleAsync<(double Calls, double Time)>(reading);
        for (var n = 1; n <= 30; n++)
        {
            await connection.ExecuteAsync("SELECT count(*) FROM sli_probe_items WHERE id < @n", new { n = n * 500 });
        }
        var after = await connection.QuerySingleAsync<(double Calls, double Time)>(reading);
        await snapshots.TakeAsync(QueryOptions.PortalTarget);
        var sli = new SliSpec { Kind = SliKinds.Query, Target = QueryOptions.PortalTarget, Database = portal.Database.Name, Pattern = "sli_probe_items", Threshold = 50, Objective = 0.99 };

        var samples = await Evaluator.EvaluateAsync(sli, Mark - TimeSpan.FromMinutes(10), Mark + TimeSpan.FromMinutes(10));

        Assert.NotEmpty(samples);
        Assert.Equal(after.Calls - before.Calls, samples.Sum(sample => sample.Weight!.Value));
        Assert.Equal((after.Time - before.Time) / (after.Calls - before.Calls), samples.Sum(sample => sample.Value!.Value * sample.Weight!.Value) / samples.Sum(sample => sample.Weight!.Value), 9);
        Assert.All(samples, sample => Assert.Equal(sample.Value < 50 ? 1 : 0, sample.Good));
    }

    [Fact]
    public async Task Vitals_IntervalPercentilesAndGoodCount_EqualPercentileContOverTheSameRows()
    {
        var start = Mark - TimeSpan.FromMinutes(10);
        var values = Enumerable.Range(0, 41).Select(i => 400.0 + i * 137 % 2_300).ToList();
        await using var connection = new NpgsqlConnection(portal.Database.ConnectionString);
        foreach (var (value, i) in values.Select((value, i) => (value, i)))
        {
            await InsertVitalAsync(connection, start.AddSeconds(5 * i), "/checkout", value);
            await InsertVitalAsync(connection, start.AddSeconds(5 * i), "/home", 9_000); // another page: not the SLI's
        }
        var sli = new SliSpec
        {
            Kind = SliKinds.Vitals, App = "portal", Metric = "LCP", Page = "/checkout", Targets = new Dictionary<string, double> { ["p75"] = 2_500 },
            Threshold = 1_200, Objective = 0.75,
        };

        var samples = await Evaluator.EvaluateAsync(sli, start - SliEvaluator.Interval, Mark);

        // 41 events 5 s apart from the interval's start: 5 minutes hold 60, so all fall in the first interval.
        var sample = Assert.Single(samples);
        Assert.Equal(start + SliEvaluator.Interval, sample.At);
        Assert.Equal(values.Count, sample.Total);
        Assert.Equal(values.Count(value => value <= 1_200), sample.Good);
        var sorted = values.Order().ToList();
        foreach (var (q, index) in new[] { (0.75, 0), (0.95, 1), (0.99, 2), (1.0, 3) })
        {
            Assert.Equal(Expected.PercentileCont(sorted, q), sample.Percentiles![index], 9);
        }
        Assert.Equal(Expected.PercentileCont(sorted, 0.75), sample.Value!.Value, 9);
    }

    private static Task<int> InsertVitalAsync(NpgsqlConnection connection, DateTimeOffset at, string page, double value) => connection.ExecuteAsync("""
        INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, navigation_type, page, device, connection, release, attribution)
        VALUES ('portal', @at, 'LCP', @value, @value, 'good', gen_random_uuid()::text, 'navigate', @page, 'desktop', '4g', 'r1', NULL)
        """, new { at, value, page });

    [Fact]
    public async Task Cache_RedisHitRatio_EqualsTheInfoArithmetic()
    {
        // A Redis of its own: INFO's counters are the whole server's, and other tests use the shared one meanwhile.
        await using var own = await RedisServer.StartAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{own.ConnectionString},allowAdmin=true");
        var samples = portal.App.Services.GetRequiredService<RedisSamples>();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var first = Counters(await server.InfoAsync("stats"));
        await samples.RecordAsync(await RedisStatistics.ReadAsync("sli-test", redis));
        var database = redis.GetDatabase();
        await database.StringSetAsync("sli-test:present", "1");
        for (var i = 0; i < 30; i++)
        {
            await database.StringGetAsync(i % 3 == 0 ? $"sli-test:absent:{i}" : "sli-test:present");
        }
        var second = Counters(await server.InfoAsync("stats"));
        await samples.RecordAsync(await RedisStatistics.ReadAsync("sli-test", redis));
        // The readings as if the redis-samples job had taken them 5 minutes apart, on the interval's marks.
        await using (var connection = new NpgsqlConnection(portal.Database.ConnectionString))
        {
            await connection.ExecuteAsync("""
                UPDATE redis_samples SET at = CASE WHEN at = (SELECT min(at) FROM redis_samples WHERE name = 'sli-test') THEN @start ELSE @end END WHERE name = 'sli-test'
                """, new { start = Mark - SliEvaluator.Interval, end = Mark });
        }

        var sample = Assert.Single(await Evaluator.EvaluateAsync(new SliSpec { Kind = SliKinds.Cache, Redis = "sli-test", Objective = 0.8 }, Mark - SliEvaluator.Interval, Mark));

        var (hits, misses) = (second.Hits - first.Hits, second.Misses - first.Misses);
        Assert.Equal(hits, sample.Good);
        Assert.Equal(hits + misses, sample.Total);
        Assert.Equal((double)hits / (hits + misses), sample.Value!.Value, 12);
        // The same readings as the alert rules and the "what changed" panel read them.
        Assert.Equal(new RedisLookups(hits, misses), await samples.LookupsBetweenAsync("sli-test", Mark - SliEvaluator.Interval, Mark));
    }

    private static (long Hits, long Misses) Counters(IGrouping<string, KeyValuePair<string, string>>[] info)
    {
        var stats = info.SelectMany(group => group).ToDictionary(pair => pair.Key, pair => pair.Value);
        return (long.Parse(stats["keyspace_hits"], CultureInfo.InvariantCulture), long.Parse(stats["keyspace_misses"], CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Job_FreshShare_CountsTheChecksWithASuccessWithinTheFreshnessObjective()
    {
        await using (var connection = new NpgsqlConnection(portal.Database.ConnectionString))
        {
            await connection.ExecuteAsync("""
                INSERT INTO job_definitions (id, title, description, cron, time_zone, queue, timeout_seconds, freshness_seconds, retries, paused, registered_at)
                VALUES ('probe', 'Probe', '', '* * * * *', 'UTC', 'default', 60, 600, false, false, @registered),
                       ('paused-one', 'Paused', '', '* * * * *', 'UTC', 'default', 60, 600, false, true, @registered);
                INSERT INTO job_runs (job_id, hangfire_job_id, node, trigger, started_at, finished_at, outcome)
                VALUES ('probe', '1', 'test', 'schedule', @early, @early, 'succeeded'),
                       ('probe', '2', 'test', 'schedule', @late, @late, 'succeeded'),
                       ('probe', '3', 'test', 'schedule', @failed, @failed, 'failed');
                """, new { registered = Mark.AddHours(-2), early = Mark.AddMinutes(-62), late = Mark.AddMinutes(-30), failed = Mark.AddMinutes(-8) });
        }

        var samples = await Evaluator.EvaluateAsync(new SliSpec { Kind = SliKinds.Job, Job = "*", Objective = 1 }, Mark.AddHours(-1), Mark);

        // Checks at −55 … 0 minutes; a success keeps the job fresh for 10 minutes, its end included (the Jobs page's rule):
        // −62 → −55; −30 → −30, −25, −20.
        Assert.Equal(12, samples.Count);
        Assert.All(samples, sample => Assert.Equal(1, sample.Total)); // the paused job is not checked
        var fresh = samples.Where(sample => sample.Good == 1).Select(sample => (int)(sample.At - Mark).TotalMinutes).ToList();
        Assert.Equal([-55, -30, -25, -20], fresh);
    }

    [Fact]
    public async Task RollUp_OldDays_AreReadAsDailySumsWithBucketsAddedUp()
    {
        var day = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date.AddDays(-5), TimeSpan.Zero);
        double[] le = [0.5, 1, double.PositiveInfinity];
        var samples = Enumerable.Range(1, 288).Select(i => new SliSample(day + SliEvaluator.Interval * i, 90 + i % 7, 100)
        {
            Value = 10 + i % 4, Weight = 100, Le = le, Counts = [50, 90 + i % 7, 100],
        }).ToList();
        await Store.WriteAsync("rolled", day, day.AddDays(1), samples);
        await Store.WriteAsync("rolled", DateTimeOffset.UtcNow.AddMinutes(-20), SliEvaluator.Floor(DateTimeOffset.UtcNow),
            [new SliSample(SliEvaluator.Floor(DateTimeOffset.UtcNow), 1, 2)]);

        var written = await portal.App.Services.GetRequiredService<ScorecardEvaluation>().RollUpAsync(CancellationToken.None);

        Assert.True(written >= 1);
        var read = (await Store.ReadAsync(["rolled"], day, DateTimeOffset.UtcNow))["rolled"];
        var daily = Assert.Single(read, sample => sample.Daily);
        Assert.Equal(day.AddDays(1), daily.At);
        Assert.Equal(samples.Sum(sample => sample.Good), daily.Good);
        Assert.Equal(28_800, daily.Total);
        Assert.Equal(samples.Average(sample => sample.Value!.Value), daily.Value!.Value, 9);
        Assert.Equal([50 * 288, samples.Sum(sample => sample.Counts![1]), 28_800], daily.Counts!);
        Assert.Single(read, sample => !sample.Daily); // today's sample stays at 5-minute resolution
    }

    [Fact]
    public async Task Api_ScorecardOfTheDefaultCatalogue_ReportsTheUptimeWorkedByHand()
    {
        // Eleven intervals fully up and one half up this month: uptime 11.5/12, far under 99.5 %.
        var end = Mark;
        var samples = Enumerable.Range(0, 12).Select(i => new SliSample(end - SliEvaluator.Interval * i, i == 4 ? 0.5 : 1, 1)).ToList();
        await Store.WriteAsync("portal-uptime", end - TimeSpan.FromHours(1), end, samples);
        using var client = portal.App.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await portal.App.TokenAsync(PortalRoles.Viewer));

        using var document = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/v1/scorecards/portal", UriKind.Relative)));

        var uptime = document.RootElement.GetProperty("services")[0].GetProperty("objectives").EnumerateArray().Single(objective => objective.GetProperty("id").GetString() == "portal-uptime");
        Assert.Equal(11.5 / 12, uptime.GetProperty("value").GetDouble(), 12);
        Assert.Equal(0.995, uptime.GetProperty("target").GetDouble(), 12);
        Assert.Equal("ratio", uptime.GetProperty("unit").GetString());
        Assert.Equal(1 - (1 - 11.5 / 12) / 0.005, uptime.GetProperty("budgetRemaining").GetDouble(), 9);
        Assert.Equal("breached", uptime.GetProperty("status").GetString());
        var lcp = document.RootElement.GetProperty("services")[0].GetProperty("objectives").EnumerateArray().Single(objective => objective.GetProperty("id").GetString() == "portal-lcp");
        Assert.Equal("no-data", lcp.GetProperty("status").GetString());

        var csv = await client.GetStringAsync(new Uri("/api/v1/scorecards.csv", UriKind.Relative));
        Assert.Contains("portal,platform,portal-uptime,The portal is up,P0,availability,month,breached,uptime,", csv, StringComparison.Ordinal);
        var badWindow = await client.GetAsync(new Uri("/api/v1/scorecards?window=2w", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, badWindow.StatusCode);
        Assert.Contains("window must be one of 7d, 28d, 30d, month", await badWindow.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri("/api/v1/scorecards/nowhere", UriKind.Relative))).StatusCode);
    }
}
