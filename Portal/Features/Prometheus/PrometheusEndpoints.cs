using Portal.Components;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Portal.Features.Auth;
using Portal.Features.Cache;

namespace Portal.Features.Prometheus;

/// <summary><c>GET /api/v1/prometheus/query</c> and <c>/query_range</c> (Developer): PromQL through the portal's client.</summary>
public static class PrometheusEndpoints
{
    /// <summary>Prometheus refuses more points per series than this; we refuse first, with a clearer message.</summary>
    public const int MaxPoints = 11_000;

    // NaN and ±Inf are real answers ("0/0", "1/0"): written as the JSON strings "NaN", "Infinity" and "-Infinity".
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public sealed record SampleResponse(DateTimeOffset Time, double Value);

    public sealed record SeriesResponse(string Name, IReadOnlyDictionary<string, string> Labels, IReadOnlyList<SampleResponse> Samples);

    public sealed record QueryResponse(
        string ResultType, double DurationMs, bool FromCache, int SeriesCount, int Points, IReadOnlyList<string> Warnings,
        IReadOnlyList<SeriesResponse> Series, SampleResponse? Scalar, string? Text);

    public static IEndpointRouteBuilder MapPrometheusApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/v1/prometheus/query", async (string? query, string? time, string? server, PrometheusClient prometheus, PortalCache cache, CancellationToken cancellationToken) =>
        {
            if (string.IsNullOrWhiteSpace(query))
            {
                return ApiProblems.InvalidParameter("query is required: a PromQL expression.");
            }
            if (!Instants.TryParse(time, unixSeconds: true, instant: out var at))
            {
                return ApiProblems.InvalidParameter("time must be an ISO-8601 instant or Unix seconds.");
            }
            return await AnswerAsync(() => cache.GetOrCreateAsync(CacheOptions.PrometheusInstant, new { query, at, server },
                token => new ValueTask<PrometheusAnswer>(prometheus.QueryAsync(query, at, server, token)), cancellationToken));
        }).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Developer));

        endpoints.MapGet("/api/v1/prometheus/query_range", async (string? query, string? start, string? end, string? step, string? server, PrometheusClient prometheus, PortalCache cache, CancellationToken cancellationToken) =>
        {
            if (string.IsNullOrWhiteSpace(query))
            {
                return ApiProblems.InvalidParameter("query is required: a PromQL expression.");
            }
            if (!Instants.TryParse(start, unixSeconds: true, instant: out var from) || from is null)
            {
                return ApiProblems.InvalidParameter("start is required: an ISO-8601 instant or Unix seconds.");
            }
            if (!Instants.TryParse(end, unixSeconds: true, instant: out var until) || until is null)
            {
                return ApiProblems.InvalidParameter("end is required: an ISO-8601 instant or Unix seconds.");
            }
            if (until <= from)
            {
                return ApiProblems.InvalidParameter("end must be after start.");
            }
            if (!TryDuration(step, out var resolution))
            {
                return ApiProblems.InvalidParameter("step is required: seconds (15) or a duration (15s, 1m, 1h).");
            }
            if ((until.Value - from.Value) / resolution > MaxPoints)
            {
                return ApiProblems.InvalidParameter($"start to end at this step gives more than {MaxPoints:N0} points per series: choose a larger step.");
            }
            return await AnswerAsync(() => cache.GetOrCreateAsync(CacheOptions.PrometheusRange, new { query, from, until, resolution, server },
                token => new ValueTask<PrometheusAnswer>(prometheus.QueryRangeAsync(query, from.Value, until.Value, resolution, server, token)), cancellationToken));
        }).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Developer));
        return endpoints;
    }

    private static async Task<IResult> AnswerAsync(Func<ValueTask<Cached<PrometheusAnswer>>> query)
    {
        try
        {
            var ((result, duration), fromCache) = await query();
            return Results.Json(new QueryResponse(
                result.ResultType, Math.Round(duration.TotalMilliseconds, 1), fromCache, result.Series.Count, result.Points, result.Warnings,
                result.Series.Select(series => new SeriesResponse(series.Name, series.Labels, series.Samples.Select(Sample).ToList())).ToList(),
                result.Scalar is { } scalar ? Sample(scalar) : null, result.Text), Json);
        }
        catch (PrometheusQueryException ex)
        {
            return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Prometheus refused the query", ex.Message,
                new Dictionary<string, object?> { ["errorType"] = ex.ErrorType });
        }
        catch (PrometheusUnavailableException ex)
        {
            return ApiProblems.Problem(StatusCodes.Status502BadGateway, "Prometheus is unavailable", ex.Message);
        }
    }

    private static SampleResponse Sample(PrometheusSample sample) => new(sample.Timestamp, sample.Value);



    /// <summary>Seconds ("15", "0.5") or a PromQL-style duration ("15s", "5m", "1h", "1d").</summary>
    public static bool TryDuration(string? value, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }
        var (number, unit) = char.IsLetter(value[^1]) ? (value[..^1], value[^1]) : (value, 's');
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            return false;
        }
        duration = unit switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            _ => TimeSpan.Zero,
        };
        return duration > TimeSpan.Zero;
    }
}
