using System.Collections.Immutable;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Portal.Features.Health;

/// <summary>
/// Latest status of every dependency, fed by the health-check publisher every few seconds and by each
/// <c>/readyz</c> call. Components subscribe to <see cref="Changed"/> for live updates.
/// </summary>
public sealed class DependencyStatusStore(TimeProvider time) : IHealthCheckPublisher
{
    private ImmutableDictionary<string, DependencyStatus> statuses = ImmutableDictionary<string, DependencyStatus>.Empty;
    private readonly Lock gate = new();

    public event Action? Changed;

    public IReadOnlyList<DependencyStatus> Current
    {
        get
        {
            var snapshot = statuses;
            var now = time.GetUtcNow();
            return Dependencies.All
                .Select(name => snapshot.GetValueOrDefault(name) ?? DependencyStatus.NotYetChecked(name, now))
                .ToList();
        }
    }

    public DependencyStatus? Get(string name) => statuses.GetValueOrDefault(name);

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        Record(report);
        return Task.CompletedTask;
    }

    public void Record(HealthReport report)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            var builder = statuses.ToBuilder();
            foreach (var (name, entry) in report.Entries)
            {
                builder[name] = Next(builder.GetValueOrDefault(name), name, entry, now);
            }
            statuses = builder.ToImmutable();
        }
        Changed?.Invoke();
    }

    private static DependencyStatus Next(DependencyStatus? previous, string name, HealthReportEntry entry, DateTimeOffset now)
    {
        var failed = entry.Status != HealthStatus.Healthy;
        var since = previous is not null && previous.Status == entry.Status ? previous.Since : now;
        return new DependencyStatus(
            name,
            entry.Status,
            entry.Description ?? entry.Exception?.Message,
            entry.Duration.TotalMilliseconds,
            now,
            since,
            failed ? entry.Description ?? entry.Exception?.Message : previous?.LastError,
            failed ? now : previous?.LastErrorAt);
    }
}
