using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Portal.Features.Health;

/// <summary>
/// One dependency as last probed. <see cref="Since"/> is when it entered its current status;
/// <see cref="LastError"/> stays after a recovery so the Overview can say what happened.
/// </summary>
public sealed record DependencyStatus(
    string Name,
    HealthStatus Status,
    string? Description,
    double LatencyMs,
    DateTimeOffset CheckedAt,
    DateTimeOffset Since,
    string? LastError,
    DateTimeOffset? LastErrorAt)
{
    public string Title => Dependencies.Title(Name);

    public static DependencyStatus NotYetChecked(string name, DateTimeOffset now) =>
        new(name, HealthStatus.Unhealthy, "Not checked yet", 0, now, now, null, null) { IsPending = true };

    public bool IsPending { get; init; }
}
