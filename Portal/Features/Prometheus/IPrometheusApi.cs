using System.Text.Json;
using Refit;

namespace Portal.Features.Prometheus;

/// <summary>
/// Prometheus's HTTP API (<c>/api/v1</c>). Every answer is the same envelope; <c>data</c> is kept as JSON and read by
/// <see cref="PrometheusClient"/>, which knows the result types.
/// </summary>
public interface IPrometheusApi
{
    [Get("/api/v1/query")]
    Task<PrometheusResponse<JsonElement>> QueryAsync(string query, string? time, CancellationToken cancellationToken);

    [Get("/api/v1/query_range")]
    Task<PrometheusResponse<JsonElement>> QueryRangeAsync(
        string query, string start, [AliasAs("end")] string until, [AliasAs("step")] string stepSeconds, CancellationToken cancellationToken);

    [Get("/api/v1/series")]
    Task<PrometheusResponse<List<Dictionary<string, string>>>> SeriesAsync([Query(CollectionFormat.Multi), AliasAs("match[]")] IEnumerable<string> match, string? start, [AliasAs("end")] string? until, CancellationToken cancellationToken);

    [Get("/api/v1/labels")]
    Task<PrometheusResponse<List<string>>> LabelNamesAsync(CancellationToken cancellationToken);

    [Get("/api/v1/label/{name}/values")]
    Task<PrometheusResponse<List<string>>> LabelValuesAsync(string name, CancellationToken cancellationToken);

    [Get("/api/v1/targets")]
    Task<PrometheusResponse<JsonElement>> TargetsAsync(CancellationToken cancellationToken);

    [Get("/api/v1/status/buildinfo")]
    Task<PrometheusResponse<PrometheusBuildInfo>> GetBuildInfoAsync(CancellationToken cancellationToken);
}

public sealed record PrometheusResponse<T>(string Status, T? Data, string? ErrorType, string? Error, IReadOnlyList<string>? Warnings);

public sealed record PrometheusBuildInfo(string Version, string? Revision, string? Branch, string? GoVersion);
