using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Vitals;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Vitals;

/// <summary>
/// Nothing accepted is lost: batches keep coming while PostgreSQL restarts, or refuses the portal's connections for a
/// while. The portal's database is on a cluster of the test's own (<see cref="SecondCluster"/>): restarting it ends no
/// other test's sessions, so the class runs beside the others, and after `./portal up` as well.
/// </summary>
[StartEarly]
public sealed class VitalsDurabilityTests(VitalsDurabilityTests.OwnCluster fixture) : IClassFixture<VitalsDurabilityTests.OwnCluster>
{
    private const string DatabaseName = "portal";

    /// <summary>
    /// The cluster and the portal on it, shared by the class's outages (each test's batches are told apart by their ids):
    /// the second outage also finds a portal that has already recovered from one.
    /// </summary>
    public sealed class OwnCluster : IAsyncLifetime
    {
        public SecondCluster Cluster { get; private set; } = null!;

        public PortalApp App { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Cluster = await SecondCluster.StartAsync();
            await SecondCluster.ExecuteAsync(Cluster.Superuser("postgres"), $"CREATE DATABASE {DatabaseName}");
            // Pooled, as the portal runs: the outages below end its pooled connections.
            var pooled = new NpgsqlConnectionStringBuilder(Cluster.Superuser(DatabaseName)) { Pooling = true }.ConnectionString;
            var settings = PortalSettings.For(pooled, $"durability-{Guid.NewGuid():N}:");
            // A stream from one address far past a real client's rate: the limits are not what these tests are about.
            settings["Vitals:RequestsPerMinutePerAddress"] = "10000000";
            settings["Vitals:RequestsPerMinutePerKey"] = "10000000";
            App = new PortalApp(settings).Start(); // it migrates its database as it starts
        }

        public async Task DisposeAsync()
        {
            await App.DisposeAsync();
            await Cluster.DisposeAsync();
        }
    }

    private SecondCluster Cluster => fixture.Cluster;

    private PortalApp App => fixture.App;

    private string ConnectionString => Cluster.Superuser(DatabaseName); // not pooled

    private const int EventsPerBatch = 20;

    /// <summary>
    /// Between a sender's batches: four senders still post ~400 batches (8,000 events) a second, 2,000 and more a test,
    /// dozens to hundreds of them refused during an outage; without it they posted 1,300 a second and the class took 30 CPU-s
    /// instead of 15, a core's worth of the run's parallel part for what the same assertions judge either way.
    /// </summary>
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(5);

    [Fact]
    public Task DatabaseUnavailableMidStream_Every202IsStoredOnce_NothingElseIsKept() => SendThroughAsync(async () =>
    {
        await SetConnectionsAsync(allowed: false);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await SetConnectionsAsync(allowed: true);
    });

    [Fact]
    public Task PostgresRestartedMidStream_Every202IsStoredOnce_NothingElseIsKept() => SendThroughAsync(() => Cluster.RestartAsync());

    private async Task SendThroughAsync(Func<Task> outage)
    {
        var key = await App.Services.GetRequiredService<VitalsApps>().PortalKeyAsync();
        var run = Guid.NewGuid().ToString("N")[..8]; // this test's batches, beside the other test's on the same database
        var outcomes = new ConcurrentDictionary<string, (HttpStatusCode Status, DateTimeOffset At)>();
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, 4).Select(sender => Task.Run(async () =>
        {
            using var client = App.CreateHttpClient();
            for (var batch = 0; !stop.IsCancellationRequested; batch++)
            {
                var id = $"{run}-s{sender}-b{batch}";
                var events = Enumerable.Range(0, EventsPerBatch).Select(index => new { name = "LCP", value = 1000.0 + index, id = $"{id}-e{index}", page = "/", device = "desktop" });
                using var response = await client.PostAsync("/api/v1/vitals", new StringContent(JsonSerializer.Serialize(new { key, events }), Encoding.UTF8, "text/plain"));
                outcomes[id] = (response.StatusCode, DateTimeOffset.UtcNow);
                await Task.Delay(Pause);
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(2));
        var outageStarted = DateTimeOffset.UtcNow;
        await outage();
        var outageEnded = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await Task.WhenAll(senders);

        // Not from the pool: the outage ended the pooled connections of this process.
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ConnectionString);
        var stored = (await connection.QueryAsync<(string Id, long Count)>(
            "SELECT event_id, count(*) FROM vitals_events WHERE starts_with(event_id, @run) GROUP BY event_id", new { run = run + "-" }))
            .ToDictionary(row => row.Id, row => row.Count);
        var accepted = outcomes.Where(outcome => outcome.Value.Status == HttpStatusCode.Accepted).Select(outcome => outcome.Key).ToList();
        var refused = outcomes.Where(outcome => outcome.Value.Status != HttpStatusCode.Accepted).ToList();

        Assert.All(refused, outcome => Assert.Equal(HttpStatusCode.ServiceUnavailable, outcome.Value.Status));
        Assert.NotEmpty(refused); // the outage was felt…
        Assert.Contains(outcomes.Values, outcome => outcome.Status == HttpStatusCode.Accepted && outcome.At > outageEnded); // …and recovered from without a restart
        Assert.Contains(outcomes.Values, outcome => outcome.Status == HttpStatusCode.Accepted && outcome.At < outageStarted);
        foreach (var batch in accepted)
        {
            for (var index = 0; index < EventsPerBatch; index++)
            {
                Assert.Equal(1, stored.GetValueOrDefault($"{batch}-e{index}"));
            }
        }
        foreach (var (batch, _) in refused)
        {
            Assert.Equal(0, stored.GetValueOrDefault($"{batch}-e0"));
        }
        Assert.Equal(accepted.Count * EventsPerBatch, stored.Values.Sum());
    }

    // An outage as the portal sees it: the database refuses new connections and its open ones are ended.
    private async Task SetConnectionsAsync(bool allowed)
    {
        await using var admin = new NpgsqlConnection(Cluster.Superuser("postgres"));
        await admin.OpenAsync();
        await admin.ExecuteAsync($"ALTER DATABASE {DatabaseName} ALLOW_CONNECTIONS {(allowed ? "true" : "false")}");
        if (!allowed)
        {
            await admin.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @name AND pid <> pg_backend_pid()", new { name = DatabaseName });
        }
    }
}
