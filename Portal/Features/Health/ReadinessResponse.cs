using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Portal.Features.Health;

/// <summary>The JSON body of <c>/readyz</c>: overall status and, per dependency, status, latency and last error.</summary>
public sealed record ReadinessResponse(string Status, DateTimeOffset CheckedAt, IReadOnlyList<ReadinessResponse.Dependency> Dependencies)
{
    public sealed record Dependency(string Name, string Status, double LatencyMs, string? Description, string? LastError, DateTimeOffset? LastErrorAt);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // served as application/json, never inlined into HTML
    };

    public static string StatusName(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };

    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        var store = context.RequestServices.GetRequiredService<DependencyStatusStore>();
        store.Record(report);

        var dependencies = report.Entries
            .OrderBy(entry => Health.Dependencies.All.ToList().IndexOf(entry.Key))
            .Select(entry => new Dependency(
                entry.Key,
                StatusName(entry.Value.Status),
                Math.Round(entry.Value.Duration.TotalMilliseconds, 1),
                entry.Value.Description,
                store.Get(entry.Key)?.LastError,
                store.Get(entry.Key)?.LastErrorAt))
            .ToList();
        var body = new ReadinessResponse(StatusName(report.Status), DateTimeOffset.UtcNow, dependencies);

        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await JsonSerializer.SerializeAsync(context.Response.Body, body, Json, context.RequestAborted);
    }
}
