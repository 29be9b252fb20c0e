using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>A cluster of its own and a standby streaming from it through a slot, both read through the README's monitoring role.</summary>
public sealed class ReplicatedCluster : IAsyncLifetime
{
    /// <summary>A lag limit small enough for a test to cross: 8 MiB of WAL.</summary>
    public const int LagLimitMegabytes = 8;

    public SecondCluster Primary { get; private set; } = null!;

    public SecondCluster.Standby Standby { get; private set; } = null!;

    public TestDatabase Database { get; private set; } = null!;

    public PortalApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Primary = await SecondCluster.StartAsync();
        Standby = await Primary.StartStandbyAsync("replica1");
        Database = await TestDatabase.CreateAsync();
        var settings = PortalSettings.For(Database);
        settings["Queries:Targets:primary:ConnectionString"] = Primary.Monitor;
        settings["Queries:Targets:standby:ConnectionString"] = Standby.Monitor;
        settings["Queries:Risks:ReplicationLagMegabytes"] = LagLimitMegabytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        App = new PortalApp(settings).Start();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Database.DisposeAsync();
        await Standby.DisposeAsync();
        await Primary.DisposeAsync();
    }
}

/// <summary>
/// Replication lag, judged on both sides: the primary's view of each standby (WAL not replayed yet) and a standby's of
/// itself (received, not replayed), with replay paused on the standby while the primary writes.
/// </summary>
public sealed class ReplicationTests(ReplicatedCluster cluster) : IClassFixture<ReplicatedCluster>
{
    private MaintenanceRisks Risks => cluster.App.Services.GetRequiredService<MaintenanceRisks>();

    [Fact]
    public async Task PausedReplay_TheLagGrowsPastItsLimit_OnThePrimaryAndTheStandby_AndClearsOnResume()
    {
        // Streaming and caught up: listed by its cluster_name, nothing behind.
        await Eventually.HoldsAsync(async () => (await Risks.ReadAsync("primary")).Risks.Any(risk => risk.Kind == RiskKinds.Replication && risk.Subject == "standby replica1 (streaming)"), TimeSpan.FromSeconds(30),
            "the primary lists the standby as streaming");
        var caughtUp = (await Risks.ReadAsync("primary")).Risks.Single(risk => risk.Kind == RiskKinds.Replication);
        Assert.Equal(ReplicatedCluster.LagLimitMegabytes * 1024 * 1024, caughtUp.Limit); // through a slot: the configured limit, not wal_keep_size
        Assert.Equal(RiskStatuses.Ok, caughtUp.Status);
        Assert.Contains((await Risks.ReadAsync("primary")).Risks, risk => risk.Kind == RiskKinds.Slot && risk.Subject == "slot replica1 (physical, active)");

        await SecondCluster.ExecuteAsync(cluster.Standby.Superuser(), "SELECT pg_wal_replay_pause()");
        await SecondCluster.ExecuteAsync(cluster.Primary.Superuser(), "CREATE TABLE written_while_paused AS SELECT g AS id, md5(g::text) AS note FROM generate_series(1, 200000) g");
        await using var primary = new NpgsqlConnection(cluster.Primary.Superuser());
        await using var standby = new NpgsqlConnection(cluster.Standby.Superuser());
        var written = await primary.QuerySingleAsync<string>("SELECT pg_current_wal_lsn()::text");
        await Eventually.HoldsAsync(async () => await standby.QuerySingleAsync<bool>("SELECT pg_last_wal_receive_lsn() >= @written::pg_lsn", new { written }), TimeSpan.FromSeconds(30),
            "the standby has received what the primary wrote");

        var onPrimary = (await Risks.ReadAsync("primary")).Risks.Single(risk => risk.Kind == RiskKinds.Replication);
        var behind = await primary.QuerySingleAsync<double>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 FROM pg_stat_replication WHERE application_name = 'replica1'");
        Assert.InRange(onPrimary.Used, behind - 64 * 1024, behind + 64 * 1024); // the primary's own background writes move it a little
        Assert.True(onPrimary.Used > ReplicatedCluster.LagLimitMegabytes * 0.8 * 1024 * 1024, $"{onPrimary.Used} bytes behind");
        Assert.Equal(RiskStatuses.Critical, onPrimary.Status);
        Assert.Equal($"{MaintenanceRisks.Describe(onPrimary)}", $"{onPrimary.Used / (1 << 20):0.#} MiB of 8 MiB of WAL behind");

        var onStandby = (await Risks.ReadAsync("standby")).Risks.Single(risk => risk.Kind == RiskKinds.Replication);
        var received = await standby.QuerySingleAsync<double>("SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8");
        Assert.Equal("this standby", onStandby.Subject);
        Assert.InRange(onStandby.Used, received - 64 * 1024, received + 64 * 1024);
        Assert.Equal(RiskStatuses.Critical, onStandby.Status);
        Assert.StartsWith("replay lag ", onStandby.Advice, StringComparison.Ordinal);
        Assert.Contains("its replay is paused: SELECT pg_wal_replay_resume(); on it", onStandby.Advice, StringComparison.Ordinal);
        // A standby has no slots of its own to judge, nor a WAL position to measure them against.
        Assert.DoesNotContain((await Risks.ReadAsync("standby")).Risks, risk => risk.Kind == RiskKinds.Slot);

        await SecondCluster.ExecuteAsync(cluster.Standby.Superuser(), "SELECT pg_wal_replay_resume()");
        await Eventually.HoldsAsync(async () => (await Risks.ReadAsync("primary")).Risks.Single(risk => risk.Kind == RiskKinds.Replication).Status == RiskStatuses.Ok, TimeSpan.FromSeconds(30),
            "the standby catches up once its replay resumes");
        Assert.Equal(RiskStatuses.Ok, (await Risks.ReadAsync("standby")).Risks.Single(risk => risk.Kind == RiskKinds.Replication).Status);
    }
}
