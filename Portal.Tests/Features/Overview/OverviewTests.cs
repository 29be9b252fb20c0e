using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Portal.Data;
using Portal.Features.Health;
using Portal.Features.Jobs;
using Portal.Tests.Infrastructure;
using OverviewPage = Portal.Features.Overview.Overview;

namespace Portal.Tests.Features.Overview;

public sealed class OverviewTests : PortalComponentTest, IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
    private TestDatabase database = null!;
    private DependencyStatusStore store = null!;

    public override async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(PortalSettings.For(database)).Build();
        Services.AddPortalData(configuration);
        Services.AddJobStorage(configuration);
        Services.AddOptions<HealthOptions>().Bind(configuration.GetSection(HealthOptions.Section));
        Services.AddSingleton<TimeProvider>(time);
        Services.AddSingleton<DependencyStatusStore>();
        await Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        store = Services.GetRequiredService<DependencyStatusStore>();
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    private static HealthReport Report(HealthStatus redis, string redisDescription) => new(new Dictionary<string, HealthReportEntry>
    {
        [Dependencies.PostgreSql] = new(HealthStatus.Healthy, "PostgreSQL 15.20 · pg_stat_statements ready", TimeSpan.FromMilliseconds(1.5), null, null),
        [Dependencies.Redis] = new(redis, redisDescription, TimeSpan.FromMilliseconds(2004), null, null),
        [Dependencies.Prometheus] = new(HealthStatus.Healthy, "Prometheus 2.42.0", TimeSpan.FromMilliseconds(4), null, null),
        [Dependencies.Worker] = new(HealthStatus.Healthy, "1 worker(s) alive", TimeSpan.FromMilliseconds(3), null, null),
    }, TimeSpan.FromMilliseconds(2004));

    private static IElement Card(IRenderedComponent<OverviewPage> page, string dependency) =>
        page.Find($"[data-dependency='{dependency}']");

    [Fact]
    public void Render_RedisDown_ShowsItDegradedWithItsErrorAndOthersHealthy()
    {
        store.Record(Report(HealthStatus.Degraded, "not connected to 127.0.0.1:6390; reconnecting in the background"));

        var page = Render<OverviewPage>();

        Assert.Equal(4, page.FindAll("[data-dependency]").Count);
        var redis = Card(page, Dependencies.Redis);
        Assert.Equal("degraded", redis.QuerySelector("[data-status]")!.GetAttribute("data-status"));
        Assert.Contains("not connected to 127.0.0.1:6390", redis.TextContent, StringComparison.Ordinal);
        Assert.Contains("Last error at 10:00:00", redis.TextContent, StringComparison.Ordinal);
        Assert.Contains("2004 ms", redis.TextContent, StringComparison.Ordinal);
        Assert.Equal("healthy", Card(page, Dependencies.PostgreSql).QuerySelector("[data-status]")!.GetAttribute("data-status"));
        Assert.Contains("pg_stat_statements ready", Card(page, Dependencies.PostgreSql).TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_BeforeFirstProbe_ShowsPendingNotHealthy()
    {
        var page = Render<OverviewPage>();

        Assert.All(page.FindAll("[data-dependency] [data-status]"), chip => Assert.Equal("pending", chip.GetAttribute("data-status")));
    }

    [Fact]
    public void StoreChanges_RedisRecovers_PageUpdatesWithoutReloadAndKeepsLastError()
    {
        store.Record(Report(HealthStatus.Degraded, "not connected to 127.0.0.1:6390"));
        var page = Render<OverviewPage>();

        time.Advance(TimeSpan.FromSeconds(30));
        store.Record(Report(HealthStatus.Healthy, "Redis 7.0.15"));

        page.WaitForAssertion(() =>
        {
            var redis = Card(page, Dependencies.Redis);
            Assert.Equal("healthy", redis.QuerySelector("[data-status]")!.GetAttribute("data-status"));
            Assert.Contains("Redis 7.0.15", redis.TextContent, StringComparison.Ordinal);
            Assert.Contains("healthy since 10:00:30", redis.TextContent, StringComparison.Ordinal);
            Assert.Contains("Last error at 10:00:00: not connected", redis.TextContent, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Render_WithHeartbeats_ListsWorkersAndWithoutThemExplainsWhatToDo()
    {
        var empty = Render<OverviewPage>();
        empty.WaitForAssertion(() => Assert.Contains("No worker has reported in the last day", empty.Markup, StringComparison.Ordinal));

        await Services.GetRequiredService<WorkerHeartbeats>().RecordAsync(
            new WorkerIdentity("build-agent:4242", time.GetUtcNow().AddHours(-1), "1.2.3"), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(5)); // past the heartbeats' live interval: a new page reads again
        var page = Render<OverviewPage>();

        var row = page.WaitForElement("[data-testid='workers'] tbody tr");
        Assert.Contains("build-agent:4242", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("1.2.3", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("2026-11-23 09:00", row.TextContent, StringComparison.Ordinal);
    }
}
