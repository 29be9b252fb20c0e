using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Auth;
using Portal.Features.Prometheus;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Prometheus;

/// <summary>
/// A known series written as OpenMetrics: a counter and a latency histogram, one sample every 15 s for an hour.
/// Every expected value below is computed from these generated samples, not read back from Prometheus.
/// </summary>
public sealed class DeterministicSeries : IAsyncLifetime
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);
    public const int Samples = 240;

    /// <summary>Per interval, observations falling at or under each bucket bound (cumulative, as Prometheus keeps them).</summary>
    public static readonly (string Le, double Bound, int PerInterval)[] Buckets =
        [("0.1", 0.1, 60), ("0.5", 0.5, 90), ("1", 1, 98), ("+Inf", double.PositiveInfinity, 100)];

    /// <summary>Aligned to a minute, ending 30 minutes ago (backfilled data must be older than the head).</summary>
    public DateTimeOffset Start { get; } = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-90).ToUnixTimeSeconds() / 60 * 60);

    public DateTimeOffset At(int sample) => Start + Interval * sample;

    public static double RequestsAt(int sample) => 10.0 * sample;

    public BackfilledPrometheus Prometheus { get; private set; } = null!;

    public RunningPortal Running { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var text = new StringBuilder();
        text.AppendLine("# HELP test_requests_total Requests handled.").AppendLine("# TYPE test_requests counter");
        for (var i = 0; i < Samples; i++)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"test_requests_total{{code=\"200\"}} {RequestsAt(i)} {At(i).ToUnixTimeSeconds()}");
        }
        text.AppendLine("# HELP test_latency_seconds Request latency.").AppendLine("# TYPE test_latency_seconds histogram");
        for (var i = 0; i < Samples; i++)
        {
            foreach (var (le, _, perInterval) in Buckets)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"test_latency_seconds_bucket{{le=\"{le}\"}} {perInterval * i} {At(i).ToUnixTimeSeconds()}");
            }
            text.AppendLine(CultureInfo.InvariantCulture, $"test_latency_seconds_count {100 * i} {At(i).ToUnixTimeSeconds()}");
            text.AppendLine(CultureInfo.InvariantCulture, $"test_latency_seconds_sum {30.0 * i} {At(i).ToUnixTimeSeconds()}");
        }
        text.AppendLine("# EOF");

        Prometheus = await BackfilledPrometheus.StartAsync(text.ToString());
        Running = await RunningPortal.StartAsync(settings: new Dictionary<string, string?> { ["Prometheus:Servers:backfilled"] = Prometheus.Url });
    }

    public async Task DisposeAsync()
    {
        await Running.DisposeAsync();
        await Prometheus.DisposeAsync();
    }
}

public sealed class PrometheusClientTests(DeterministicSeries series) : IClassFixture<DeterministicSeries>
{
    private PrometheusClient Client => series.Running.Portal.Services.GetRequiredService<PrometheusClient>();

    [Fact]
    public async Task Query_InstantAtASampleTime_ReturnsTheGeneratedValue()
    {
        var (result, _) = await Client.QueryAsync("test_requests_total", series.At(100), "backfilled");

        Assert.Equal("vector", result.ResultType);
        var only = Assert.Single(result.Series);
        Assert.Equal("test_requests_total{code=\"200\"}", only.Name);
        Assert.Equal(DeterministicSeries.RequestsAt(100), only.Samples.Single().Value);
    }

    [Fact]
    public async Task QueryRange_EveryMinute_ReturnsTheLatestGeneratedSampleAtEachStep()
    {
        var (from, until) = (series.At(40), series.At(120));

        var (result, _) = await Client.QueryRangeAsync("test_requests_total", from, until, TimeSpan.FromMinutes(1), "backfilled");

        Assert.Equal("matrix", result.ResultType);
        var samples = Assert.Single(result.Series).Samples;
        Assert.Equal(21, samples.Count); // 20 minutes at one step a minute, both ends included
        foreach (var sample in samples)
        {
            var index = (int)((sample.Timestamp - series.Start) / DeterministicSeries.Interval);
            Assert.Equal(DeterministicSeries.RequestsAt(index), sample.Value);
        }
    }

    [Fact]
    public async Task HistogramQuantile_ThroughTheClient_EqualsTheQuantileOfTheGeneratedBuckets()
    {
        var (result, _) = await Client.QueryAsync("histogram_quantile(0.95, sum by (le) (rate(test_latency_seconds_bucket[5m])))", series.At(200), "backfilled");

        Assert.Equal(ExpectedQuantile(0.95), result.Series.Single().Samples.Single().Value, 9);
        Assert.Equal(0.8125, ExpectedQuantile(0.95), 9); // worked by hand: 0.5 + 0.5 × (95 − 90) / (98 − 90)
    }

    // Prometheus's linear interpolation inside the bucket that holds the rank, from the generated per-interval counts
    // (constant rates, so every bucket's rate is its count over the interval).
    private static double ExpectedQuantile(double q)
    {
        var buckets = DeterministicSeries.Buckets;
        var rank = q * buckets[^1].PerInterval;
        for (var i = 0; i < buckets.Length; i++)
        {
            if (buckets[i].PerInterval >= rank)
            {
                var (lowerBound, lowerCount) = i == 0 ? (0.0, 0.0) : (buckets[i - 1].Bound, buckets[i - 1].PerInterval);
                return lowerBound + (buckets[i].Bound - lowerBound) * (rank - lowerCount) / (buckets[i].PerInterval - lowerCount);
            }
        }
        throw new InvalidOperationException("rank beyond the last bucket");
    }

    [Theory]
    [InlineData("1/0", double.PositiveInfinity)]
    [InlineData("-1/0", double.NegativeInfinity)]
    [InlineData("0/0", double.NaN)]
    [InlineData("2.5", 2.5)]
    public async Task Query_ScalarSpecialValues_AreParsed(string query, double expected)
    {
        var (result, _) = await Client.QueryAsync(query);

        Assert.Equal("scalar", result.ResultType);
        Assert.Equal(expected, result.Scalar!.Value);
    }

    [Fact]
    public async Task Query_StringResult_IsParsed()
    {
        var (result, _) = await Client.QueryAsync("\"portal\"");

        Assert.Equal("string", result.ResultType);
        Assert.Equal("portal", result.Text);
    }

    [Fact]
    public async Task Query_BadPromQL_RaisesPrometheusOwnErrorTypeAndMessage()
    {
        var refused = await Assert.ThrowsAsync<PrometheusQueryException>(() => Client.QueryAsync("sum(rate(up[5m]"));

        Assert.Equal("bad_data", refused.ErrorType);
        Assert.Contains("parse error", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_BadPromQL_Answers400WithPrometheusMessage_AndAGoodQueryAnswersJson()
    {
        var portal = series.Running.Portal;
        using var client = SignIn.NewClient(portal.BaseAddress);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await portal.TokenAsync(PortalRoles.Developer));

        using var bad = await client.GetAsync(new Uri("/api/v1/prometheus/query?query=sum(up", UriKind.Relative));
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("bad_data", problem.GetProperty("errorType").GetString());
        Assert.Contains("parse error", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var start = series.At(40).ToUnixTimeSeconds();
        var end = series.At(120).ToUnixTimeSeconds();
        var range = await client.GetFromJsonAsync<JsonElement>(new Uri(
            $"/api/v1/prometheus/query_range?server=backfilled&query=test_requests_total&start={start}&end={end}&step=1m", UriKind.Relative));
        Assert.Equal("matrix", range.GetProperty("resultType").GetString());
        Assert.Equal(21, range.GetProperty("points").GetInt32());
        Assert.Equal(DeterministicSeries.RequestsAt(40), range.GetProperty("series")[0].GetProperty("samples")[0].GetProperty("value").GetDouble());

        var infinite = await client.GetStringAsync(new Uri("/api/v1/prometheus/query?query=1/0", UriKind.Relative));
        Assert.Contains("\"value\":\"Infinity\"", infinite, StringComparison.Ordinal);

        using var tooMany = await client.GetAsync(new Uri($"/api/v1/prometheus/query_range?query=up&start={start}&end={end}&step=0.1", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
    }
}
