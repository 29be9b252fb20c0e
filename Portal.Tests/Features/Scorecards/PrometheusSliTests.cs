using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Prometheus;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Scorecards;

/// <summary>
/// Two hours of known traffic backfilled into a private Prometheus: per 5-minute interval, a latency histogram's
/// per-minute increments by bucket, requests by status code, and an <c>up</c> gauge every 30 s. Minutes of an
/// interval grow by the same increments, so each interval's <c>increase[5m]</c> is exactly five of them.
/// </summary>
public sealed class BackfilledSlis : IAsyncLifetime
{
    public const int Intervals = 24;
    public static readonly double[] Bounds = [0.1, 0.25, 0.5, 1, 2.5, double.PositiveInfinity];

    /// <summary>The interval ends are 5-minute marks; the last is an hour ago (backfilled data must be older than the head).</summary>
    public DateTimeOffset End { get; } = SliEvaluator.Floor(DateTimeOffset.UtcNow.AddHours(-1));

    public DateTimeOffset Start => End - SliEvaluator.Interval * Intervals;

    /// <summary>Observations per minute in each bucket (not cumulative) during interval <paramref name="k"/> (0-based): interval 7 is slow.</summary>
    public static double[] PerMinute(int k) => [10 + k, 5, 3, 1 + k % 3, k % 2, k == 7 ? 4 : 0];

    /// <summary>The portal cache's lookups per minute in category <c>bench</c>: answered from memory, and computed (every tier missed).</summary>
    public static (double Memory, double Computed) LookupsPerMinute(int k) => (8 + k % 3, k == 9 ? 12 : 2);

    public static (double Ok, double Failed) RequestsPerMinute(int k) => (60 + k, k == 3 ? 6 : k % 5 == 0 ? 1 : 0);

    /// <summary>Interval 11 has the target down for 3 of its 10 half-minutes.</summary>
    public static bool IsUp(int k, int halfMinute) => !(k == 11 && halfMinute is 2 or 3 or 4);

    public BackfilledPrometheus Prometheus { get; private set; } = null!;

    public TestDatabase Database { get; private set; } = null!;

    public PortalApp App { get; private set; } = null!;

    public int IntervalOf(DateTimeOffset minute) => (int)Math.Ceiling((minute - Start) / SliEvaluator.Interval) - 1;

    public async Task InitializeAsync()
    {
        var text = new StringBuilder();
        text.AppendLine("# HELP sli_latency_seconds Request latency.").AppendLine("# TYPE sli_latency_seconds histogram");
        var cumulative = Bounds.Select(_ => 1_000.0).ToArray(); // a large starting count keeps Prometheus from extrapolating below zero
        var (ok, failed) = (1_000.0, 100.0);
        var requests = new StringBuilder("# HELP sli_requests Requests.\n# TYPE sli_requests counter\n");
        var up = new StringBuilder("# HELP sli_up Target up.\n# TYPE sli_up gauge\n");
        var lookups = new StringBuilder("# HELP portal_cache_lookups Cache reads.\n# TYPE portal_cache_lookups counter\n");
        var (memory, computed) = (500.0, 500.0);
        for (var minute = Start - TimeSpan.FromMinutes(10); minute <= End; minute += TimeSpan.FromMinutes(1))
        {
            var k = Math.Clamp(IntervalOf(minute), 0, Intervals - 1);
            var increments = PerMinute(k);
            var running = 0.0;
            for (var b = 0; b < Bounds.Length; b++)
            {
                running += increments[b];
                cumulative[b] += running;
                var le = double.IsPositiveInfinity(Bounds[b]) ? "+Inf" : Bounds[b].ToString(CultureInfo.InvariantCulture);
                text.AppendLine(CultureInfo.InvariantCulture, $"sli_latency_seconds_bucket{{le=\"{le}\"}} {cumulative[b]} {minute.ToUnixTimeSeconds()}");
            }
            (ok, failed) = (ok + RequestsPerMinute(k).Ok, failed + RequestsPerMinute(k).Failed);
            requests.AppendLine(CultureInfo.InvariantCulture, $"sli_requests_total{{code=\"200\"}} {ok} {minute.ToUnixTimeSeconds()}");
            requests.AppendLine(CultureInfo.InvariantCulture, $"sli_requests_total{{code=\"500\"}} {failed} {minute.ToUnixTimeSeconds()}");
            (memory, computed) = (memory + LookupsPerMinute(k).Memory, computed + LookupsPerMinute(k).Computed);
            lookups.AppendLine(CultureInfo.InvariantCulture, $"portal_cache_lookups_total{{category=\"bench\",tier=\"memory\"}} {memory} {minute.ToUnixTimeSeconds()}");
            lookups.AppendLine(CultureInfo.InvariantCulture, $"portal_cache_lookups_total{{category=\"bench\",tier=\"computed\"}} {computed} {minute.ToUnixTimeSeconds()}");
            foreach (var half in new[] { 0, 1 })
            {
                var at = minute + TimeSpan.FromSeconds(30 * half);
                var halfMinute = (int)((at - (Start + SliEvaluator.Interval * IntervalOf(at))).TotalSeconds / 30) - 1;
                up.AppendLine(CultureInfo.InvariantCulture, $"sli_up {(IsUp(Math.Clamp(IntervalOf(at), 0, Intervals - 1), halfMinute) ? 1 : 0)} {at.ToUnixTimeSeconds()}");
            }
        }
        text.Append(requests).Append(up).Append(lookups).AppendLine("# EOF");
        Prometheus = await BackfilledPrometheus.StartAsync(text.ToString());
        Database = await TestDatabase.CreateAsync();
        var settings = PortalSettings.For(Database);
        settings["Prometheus:Url"] = Prometheus.Url;
        App = new PortalApp(settings).Start();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Database.DisposeAsync();
        await Prometheus.DisposeAsync();
    }
}

public sealed class PrometheusSliTests(BackfilledSlis data) : IClassFixture<BackfilledSlis>
{
    private SliEvaluator Evaluator => data.App.Services.GetRequiredService<SliEvaluator>();

    private PrometheusClient Prometheus => data.App.Services.GetRequiredService<PrometheusClient>();

    private static SliSpec Latency => new()
    {
        Kind = SliKinds.Latency, Metric = "sli_latency_seconds", Targets = new Dictionary<string, double> { ["p95"] = 600, ["p99"] = 2_000, ["max"] = 3_000 },
        Threshold = 1_000, Objective = 0.99,
    };

    [Fact]
    public async Task Latency_EachIntervalsP95_EqualsPrometheusHistogramQuantile()
    {
        var samples = await Evaluator.EvaluateAsync(Latency, data.Start, data.End);

        Assert.Equal(BackfilledSlis.Intervals, samples.Count);
        var expected = await Prometheus.QueryRangeAsync("histogram_quantile(0.95, sum by (le) (increase(sli_latency_seconds_bucket[5m])))",
            data.Start + SliEvaluator.Interval, data.End, SliEvaluator.Interval);
        var byTime = expected.Result.Series.Single().Samples.ToDictionary(sample => sample.Timestamp, sample => sample.Value * 1000);
        Assert.All(samples, sample => Assert.Equal(byTime[sample.At], sample.Value!.Value, 9));
    }

    [Fact]
    public async Task Latency_WindowPercentiles_EqualHistogramQuantileOverTheWindow()
    {
        var samples = await Evaluator.EvaluateAsync(Latency, data.Start, data.End);

        // [7199s:5m] takes the 24 interval ends whether or not a range includes its start (Prometheus 2 does, 3 does not).
        foreach (var (name, q) in new[] { ("p95", 0.95), ("p99", 0.99), ("max", 1.0) })
        {
            var answer = await Prometheus.QueryAsync(
                $"histogram_quantile({q.ToString(CultureInfo.InvariantCulture)}, sum by (le) (sum_over_time(increase(sli_latency_seconds_bucket[5m])[7199s:5m])))", data.End);
            var expected = answer.Result.Series.Single().Samples.Single().Value * 1000;
            Assert.Equal(expected, SliFigures.Value(Latency, new SliFigure(name, null, "ms", true), samples)!.Value, 9);
        }
    }

    [Fact]
    public async Task Latency_FasterThanCompliance_EqualsTheHandCountedBucketRatio()
    {
        var samples = await Evaluator.EvaluateAsync(Latency, data.Start, data.End);

        // Requests within 1 s are those of the first four buckets; every interval has five minutes of its increments.
        var good = Enumerable.Range(0, BackfilledSlis.Intervals).Sum(k => 5 * BackfilledSlis.PerMinute(k).Take(4).Sum());
        var total = Enumerable.Range(0, BackfilledSlis.Intervals).Sum(k => 5 * BackfilledSlis.PerMinute(k).Sum());
        Assert.Equal(good, samples.Sum(sample => sample.Good), 6);
        Assert.Equal(total, samples.Sum(sample => sample.Total), 6);
        var slow = samples.Single(sample => sample.At == data.Start + SliEvaluator.Interval * 8);
        Assert.Equal(5 * BackfilledSlis.PerMinute(7).Take(4).Sum() / (5 * BackfilledSlis.PerMinute(7).Sum()), slow.Good / slow.Total, 9);
    }

    [Fact]
    public async Task Errors_EachIntervalsErrorRate_IsTheHandCountedShare()
    {
        var sli = new SliSpec
        {
            Kind = SliKinds.Errors, Bad = "sum(rate(sli_requests_total{code=\"500\"}[5m]))", Total = "sum(rate(sli_requests_total[5m]))", Objective = 0.995,
        };

        var samples = await Evaluator.EvaluateAsync(sli, data.Start, data.End);

        Assert.Equal(BackfilledSlis.Intervals, samples.Count);
        foreach (var (sample, k) in samples.Select((sample, k) => (sample, k)))
        {
            var (ok, failed) = BackfilledSlis.RequestsPerMinute(k);
            Assert.Equal(failed / (ok + failed), sample.Value!.Value, 9);
            Assert.Equal(5 * (ok + failed), sample.Total, 6); // a rate per second over 5 minutes, back to requests
        }
    }

    [Fact]
    public async Task CacheCategory_EachIntervalsHitRatio_IsTheHandCountedShare()
    {
        var sli = new SliSpec { Kind = SliKinds.Cache, Category = "bench", Objective = 0.8 };

        var samples = await Evaluator.EvaluateAsync(sli, data.Start, data.End);

        Assert.Equal(BackfilledSlis.Intervals, samples.Count);
        foreach (var (sample, k) in samples.Select((sample, k) => (sample, k)))
        {
            var (memory, computed) = BackfilledSlis.LookupsPerMinute(k);
            Assert.Equal(5 * memory, sample.Good, 6);
            Assert.Equal(5 * (memory + computed), sample.Total, 6);
        }
    }

    [Fact]
    public async Task Availability_TheDownInterval_CountsItsUpHalfMinutes()
    {
        var sli = new SliSpec { Kind = SliKinds.Availability, Up = "sli_up", Objective = 0.995 };

        var samples = await Evaluator.EvaluateAsync(sli, data.Start, data.End);

        Assert.Equal(BackfilledSlis.Intervals, samples.Count);
        Assert.Equal(0.7, samples[11].Good, 9);
        Assert.All(samples.Where((_, k) => k != 11), sample => Assert.Equal(1, sample.Good, 9));
        Assert.All(samples, sample => Assert.Equal(1, sample.Total));
    }
}
