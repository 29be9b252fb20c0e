using Refit;

namespace Portal.Features.Prometheus;

/// <summary>Prometheus's HTTP API (<c>/api/v1</c>); every answer is wrapped in the same envelope.</summary>
public interface IPrometheusApi
{
    [Get("/api/v1/status/buildinfo")]
    Task<PrometheusResponse<PrometheusBuildInfo>> GetBuildInfoAsync(CancellationToken cancellationToken);
}

public sealed record PrometheusResponse<T>(string Status, T? Data, string? ErrorType, string? Error, IReadOnlyList<string>? Warnings);

public sealed record PrometheusBuildInfo(string Version, string? Revision, string? Branch, string? GoVersion);
