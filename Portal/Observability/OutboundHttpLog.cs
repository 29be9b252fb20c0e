using Microsoft.Extensions.Http.Logging;

namespace Portal.Observability;

/// <summary>
/// What the portal logs of its outbound HTTP calls (Prometheus, Slack, …): the method, the host, the status and the
/// time, never the path or the query. A Slack webhook's secret is its path, and a query string can carry a token;
/// <c>HttpClient</c>'s own logging writes whole URLs at Information, so it is removed from every client.
/// </summary>
public sealed class OutboundHttpLog(ILogger<OutboundHttpLog> logger) : IHttpClientLogger
{
    public object? LogRequestStart(HttpRequestMessage request) => null;

    public void LogRequestStop(object? context, HttpRequestMessage request, HttpResponseMessage response, TimeSpan elapsed)
    {
        var level = (int)response.StatusCode >= 500 ? LogLevel.Warning : LogLevel.Debug;
        logger.Log(level, "{Method} {Host} answered {Status} in {ElapsedMs:0} ms", request.Method, Host(request), (int)response.StatusCode, elapsed.TotalMilliseconds);
    }

    public void LogRequestFailed(object? context, HttpRequestMessage request, HttpResponseMessage? response, Exception exception, TimeSpan elapsed) =>
        logger.LogWarning("{Method} {Host} failed after {ElapsedMs:0} ms: {Error}", request.Method, Host(request), elapsed.TotalMilliseconds, exception.GetType().Name);

    private static string Host(HttpRequestMessage request) => request.RequestUri is { IsAbsoluteUri: true } uri ? uri.Authority : "(relative)";
}

public static class OutboundHttpLogExtensions
{
    /// <summary>Every <c>HttpClient</c> of the process logs through <see cref="OutboundHttpLog"/> only.</summary>
    public static IServiceCollection AddOutboundHttpLog(this IServiceCollection services)
    {
        services.AddSingleton<OutboundHttpLog>();
        services.ConfigureHttpClientDefaults(http => http.RemoveAllLoggers().AddLogger<OutboundHttpLog>());
        return services;
    }
}
