using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Portal.Features.Health;

namespace Portal.Tests.Features.Health;

public sealed class DependencyStatusStoreTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));

    private static HealthReport Report(string name, HealthStatus status, string description) =>
        new(new Dictionary<string, HealthReportEntry>
        {
            [name] = new(status, description, TimeSpan.FromMilliseconds(12.5), exception: null, data: null),
        }, TimeSpan.FromMilliseconds(12.5));

    [Fact]
    public void Current_BeforeAnyProbe_ListsEveryDependencyAsPending()
    {
        var store = new DependencyStatusStore(time);

        Assert.Equal(Dependencies.All, store.Current.Select(status => status.Name));
        Assert.All(store.Current, status => Assert.True(status.IsPending));
    }

    [Fact]
    public void Record_StatusUnchanged_KeepsSince()
    {
        var store = new DependencyStatusStore(time);
        store.Record(Report(Dependencies.Redis, HealthStatus.Healthy, "Redis 7"));
        var firstSeen = time.GetUtcNow();

        time.Advance(TimeSpan.FromMinutes(3));
        store.Record(Report(Dependencies.Redis, HealthStatus.Healthy, "Redis 7"));

        var redis = store.Get(Dependencies.Redis)!;
        Assert.Equal(firstSeen, redis.Since);
        Assert.Equal(time.GetUtcNow(), redis.CheckedAt);
        Assert.Equal(12.5, redis.LatencyMs);
    }

    [Fact]
    public void Record_FailureThenRecovery_SinceMovesAndLastErrorStays()
    {
        var store = new DependencyStatusStore(time);
        store.Record(Report(Dependencies.Redis, HealthStatus.Healthy, "Redis 7"));

        time.Advance(TimeSpan.FromMinutes(1));
        var failedAt = time.GetUtcNow();
        store.Record(Report(Dependencies.Redis, HealthStatus.Degraded, "not connected to 127.0.0.1:6379"));
        Assert.Equal(failedAt, store.Get(Dependencies.Redis)!.Since);

        time.Advance(TimeSpan.FromMinutes(1));
        store.Record(Report(Dependencies.Redis, HealthStatus.Healthy, "Redis 7"));

        var redis = store.Get(Dependencies.Redis)!;
        Assert.Equal(HealthStatus.Healthy, redis.Status);
        Assert.Equal(time.GetUtcNow(), redis.Since);
        Assert.Equal("not connected to 127.0.0.1:6379", redis.LastError);
        Assert.Equal(failedAt, redis.LastErrorAt);
    }

    [Fact]
    public void Record_RaisesChanged()
    {
        var store = new DependencyStatusStore(time);
        var raised = 0;
        store.Changed += () => raised++;

        store.Record(Report(Dependencies.Prometheus, HealthStatus.Healthy, "Prometheus 2.42"));

        Assert.Equal(1, raised);
    }
}
