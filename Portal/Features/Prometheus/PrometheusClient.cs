using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Refit;

namespace Portal.Features.Prometheus;

/// <summary>Prometheus refused the query (bad PromQL, bad range): its own <c>errorType</c> and message.</summary>
public sealed class PrometheusQueryException(string errorType, string message) : Exception(message)
{
    public string ErrorType { get; } = errorType;
}

/// <summary>Prometheus could not be reached or answered with a server error.</summary>
public sealed class PrometheusUnavailableException(string server, string message, Exception? inner = null)
    : Exception($"Prometheus '{server}' is unavailable: {message}", inner);

/// <summary>An answer and how long Prometheus took to give it.</summary>
public sealed record PrometheusAnswer(PrometheusResult Result, TimeSpan Duration);

/// <summary>The Prometheus servers by name, each behind the Refit interface with its resilience pipeline.</summary>
public sealed class PrometheusClient(IHttpClientFactory httpClients, IOptions<PrometheusOptions> options)
{
    public static string HttpClientName(string server) => $"prometheus:{server.ToLowerInvariant()}";

    public IReadOnlyCollection<string> Servers => options.Value.AllServers.Keys.ToList();

    public IPrometheusApi Api(string? server = null)
    {
        var name = string.IsNullOrEmpty(server) ? PrometheusOptions.DefaultServer : server;
        if (!options.Value.AllServers.ContainsKey(name))
        {
            throw new PrometheusQueryException("bad_data", $"No Prometheus server named '{name}' is configured (known: {string.Join(", ", Servers)}).");
        }
        return RestService.ForGenerated<IPrometheusApi>(httpClients.CreateClient(HttpClientName(name)));
    }

    public Task<PrometheusAnswer> QueryAsync(string query, DateTimeOffset? time = null, string? server = null, CancellationToken cancellationToken = default) =>
        RunAsync(server, api => api.QueryAsync(query, time is { } at ? Format(at) : null, cancellationToken));

    public Task<PrometheusAnswer> QueryRangeAsync(string query, DateTimeOffset start, DateTimeOffset end, TimeSpan step, string? server = null, CancellationToken cancellationToken = default) =>
        RunAsync(server, api => api.QueryRangeAsync(query, Format(start), Format(end), step.TotalSeconds.ToString(CultureInfo.InvariantCulture), cancellationToken));

    private static string Format(DateTimeOffset instant) => (instant.ToUnixTimeMilliseconds() / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

    private async Task<PrometheusAnswer> RunAsync(string? server, Func<IPrometheusApi, Task<PrometheusResponse<JsonElement>>> call)
    {
        var name = server ?? PrometheusOptions.DefaultServer;
        var started = Stopwatch.GetTimestamp();
        PrometheusResponse<JsonElement> response;
        try
        {
            response = await call(Api(server));
        }
        catch (ApiException ex) when (ex.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity)
        {
            // Prometheus explains a refused query in the same envelope.
            var refusal = await ex.GetContentAsAsync<PrometheusResponse<JsonElement>>();
            throw new PrometheusQueryException(refusal?.ErrorType ?? "bad_data", refusal?.Error ?? ex.Message);
        }
        catch (ApiException ex)
        {
            throw new PrometheusUnavailableException(name, $"HTTP {(int)ex.StatusCode} {ex.ReasonPhrase}", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException or ApiRequestException)
        {
            // Refit wraps a request that got no answer (connection refused) in ApiRequestException, not ApiException.
            throw new PrometheusUnavailableException(name, ex.Message, ex);
        }

        if (response.Status != "success")
        {
            throw new PrometheusQueryException(response.ErrorType ?? "unknown", response.Error ?? "Prometheus did not answer with success.");
        }
        return new PrometheusAnswer(PrometheusResult.Parse(response.Data, response.Warnings), Stopwatch.GetElapsedTime(started));
    }
}
