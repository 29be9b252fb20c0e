using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>Index and table advice on a fixture schema whose answers are known.</summary>
public sealed class IndexHealthTests(IndexHealthTests.Seeded fixture) : IClassFixture<IndexHealthTests.Seeded>
{
    /// <summary>The fixture schema, seeded once for the class: its tests only read the advice.</summary>
    public sealed class Seeded : PortalOnFreshDatabase
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings["Queries:LargeTableRows"] = "10000";

        protected override async Task SeedAsync(NpgsqlConnection connection)
        {
            await connection.ExecuteAsync("""
                CREATE SCHEMA shop;
                SET search_path = shop;
                CREATE TABLE customers (id int PRIMARY KEY, email text);
                CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers (id), status text, total numeric);
                CREATE TABLE events (id int PRIMARY KEY, order_id int REFERENCES orders (id), kind text, at timestamptz);
                INSERT INTO customers SELECT i, 'c' || i || '@example.com' FROM generate_series(1, 1000) i;
                INSERT INTO orders SELECT i, 1 + i % 1000, (ARRAY['new', 'paid', 'shipped'])[1 + i % 3], i % 500 FROM generate_series(1, 50000) i;
                INSERT INTO events SELECT i, 1 + i % 50000, (ARRAY['a', 'b'])[1 + i % 2], now() - i * interval '1 minute' FROM generate_series(1, 20000) i;
                CREATE INDEX orders_status ON orders (status);
                CREATE INDEX orders_status_copy ON orders (status);
                CREATE INDEX events_order ON events (order_id);
                CREATE INDEX events_kind ON events (kind);
                CREATE INDEX events_kind_at ON events (kind, at);
                CREATE TABLE churn (id int) WITH (autovacuum_enabled = false);
                INSERT INTO churn SELECT generate_series(1, 5000);
                DELETE FROM churn WHERE id > 1000;
                CREATE TABLE dupes (x int);
                INSERT INTO dupes VALUES (1), (1);
                ANALYZE;
                """);
            // A failed CREATE INDEX CONCURRENTLY leaves an invalid index behind.
            var failed = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("CREATE UNIQUE INDEX CONCURRENTLY dupes_x ON shop.dupes (x)"));
            Assert.Equal(PostgresErrorCodes.UniqueViolation, failed.SqlState);
        }
    }

    private PortalApp App => fixture.App;

    private TestDatabase Database => fixture.Database;

    [Fact]
    public async Task UnusedIndexes_WhileTheStatisticsAreYoungerThanAWeek_AreWithheld_WithTheDateTheyWillShow()
    {
        var options = new QueryOptions { UnusedIndexMinStatisticsDays = 7 };
        var health = new IndexHealth(App.Services.GetRequiredService<QueryTargets>(), App.Services.GetRequiredService<NpgsqlDataSource>(),
            Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System);

        var report = await health.ReadAsync(QueryOptions.PortalTarget);
        // The test cluster started minutes ago: its statistics cannot tell an index used weekly from one never used.
        Assert.Empty(report.UnusedIndexes);
        Assert.Equal(report.StatisticsSince + TimeSpan.FromDays(7), report.UnusedIndexesFrom);
        // The same database read with the tests' setting (no wait) has them: shop.orders_status_copy among others.
        var now = await App.Services.GetRequiredService<IndexHealth>().ReadAsync(QueryOptions.PortalTarget);
        Assert.NotEmpty(now.UnusedIndexes);
        Assert.Null(now.UnusedIndexesFrom);
    }

    [Fact]
    public async Task Report_FixtureSchema_FindsWhatItHolds()
    {
        var snapshots = App.Services.GetRequiredService<QuerySnapshots>();
        await snapshots.TakeAsync(QueryOptions.PortalTarget);
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        for (var i = 0; i < 20; i++)
        {
            await connection.ExecuteAsync("SELECT id FROM shop.orders WHERE total = @total", new { total = i });
        }
        await connection.ExecuteAsync("SET enable_seqscan = off");
        await connection.ExecuteAsync("SELECT id FROM shop.events WHERE kind = 'a' AND at > now() - interval '1 day'");
        await connection.ExecuteAsync("SELECT pg_stat_force_next_flush()");
        await snapshots.TakeAsync(QueryOptions.PortalTarget);
        var health = App.Services.GetRequiredService<IndexHealth>();

        IndexHealthReport report = null!;
        await Eventually.HoldsAsync(async () => (report = await health.ReadAsync(QueryOptions.PortalTarget)).MissingIndexes.Any(table => table.Table == "shop.orders"),
            TimeSpan.FromSeconds(10), "the statistics of the scans are flushed");

        // The target is the portal's own database: its own tables are in the report too; the fixture's are in shop.
        static bool Fixture(string table) => table.StartsWith("shop.", StringComparison.Ordinal);
        var suspect = Assert.Single(report.MissingIndexes, table => Fixture(table.Table));
        Assert.Equal(("shop.orders", 50000L), (suspect.Table, suspect.Rows));
        Assert.True(suspect.SequentialScans >= 20, $"{suspect.SequentialScans} sequential scans");
        Assert.Equal("total", suspect.FilteredColumns[0]);

        // Unused: every plain index but the one the workload scanned (as PostgreSQL itself counted it).
        var scanned = await connection.QueryAsync<string>("SELECT 'shop.' || indexrelname FROM pg_stat_user_indexes WHERE idx_scan > 0 AND relname = 'events' AND indexrelname LIKE 'events_kind%'");
        Assert.Single(scanned);
        var plain = new[] { "shop.orders_status", "shop.orders_status_copy", "shop.events_order", "shop.events_kind", "shop.events_kind_at" };
        Assert.Equal(plain.Except(scanned).Order(), report.UnusedIndexes.Where(index => Fixture(index.Table)).Select(index => index.Index).Order());

        Assert.Equal(
            [("shop.events_kind", "redundant: its columns lead shop.events_kind_at"), ("shop.orders_status", "duplicate of shop.orders_status_copy")],
            report.DuplicateIndexes.Where(index => Fixture(index.Table)).Select(index => (index.Index, index.Reason)).Order());

        Assert.Equal("shop.dupes_x", Assert.Single(report.InvalidIndexes).Index);

        var foreignKey = Assert.Single(report.UnindexedForeignKeys, key => Fixture(key.Table));
        Assert.Equal(("shop.orders", "customer_id", "CREATE INDEX CONCURRENTLY ON shop.orders (customer_id);"),
            (foreignKey.Table, Assert.Single(foreignKey.Columns), foreignKey.Suggestion));

        var churn = Assert.Single(report.NeedsVacuum, table => table.Table == "shop.churn");
        Assert.Equal((1000L, 4000L, 0.8), (churn.LiveRows, churn.DeadRows, churn.DeadShare));

        Assert.Equal("shop.orders", report.Largest.First(relation => relation.Kind == "table" && Fixture(relation.Name)).Name);
    }
}
