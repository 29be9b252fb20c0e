using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>A VACUUM slowed down (cost-based delay) is seen running with its phase and progress, then cancelled.</summary>
public sealed class RunningVacuumTests : PortalOnFreshDatabase
{
    private static readonly string[] Phases = ["initializing", "scanning heap", "vacuuming indexes", "vacuuming heap", "cleaning up indexes", "truncating heap", "performing final cleanup"];

    protected override async Task SeedAsync(NpgsqlConnection connection) => await connection.ExecuteAsync("""
        CREATE TABLE filler WITH (autovacuum_enabled = false) AS SELECT n, repeat('v', 100) AS pad FROM generate_series(1, 200000) n;
        DELETE FROM filler WHERE n % 2 = 0;
        """);

    [Fact]
    public async Task SlowVacuum_ShownWithItsPhaseAndProgress()
    {
        await using var vacuumer = new NpgsqlConnection(Database.ConnectionString);
        await vacuumer.OpenAsync();
        var pid = vacuumer.ProcessID;
        // The slowest cost-based delay PostgreSQL allows: the vacuum sleeps between every few pages.
        await vacuumer.ExecuteAsync("SET vacuum_cost_delay = 100; SET vacuum_cost_limit = 1");
        var vacuum = vacuumer.ExecuteAsync("VACUUM filler", commandTimeout: 120);
        var health = App.Services.GetRequiredService<IndexHealth>();
        RunningVacuum? seen = null;
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                seen = (await health.ReadAsync(QueryOptions.PortalTarget)).RunningVacuums.FirstOrDefault(each => each.Pid == pid);
                return seen is { HeapBlocks: > 0 };
            }, TimeSpan.FromSeconds(20), "the vacuum in pg_stat_progress_vacuum");

            Assert.Equal(("filler", Database.Name, false), (seen!.Table, seen.Database, seen.Autovacuum));
            Assert.Contains(seen.Phase, Phases);
            await using var probe = new NpgsqlConnection(Database.ConnectionString);
            Assert.Equal(await probe.ExecuteScalarAsync<long>("SELECT pg_relation_size('filler') / current_setting('block_size')::bigint"), seen.HeapBlocks);
            Assert.InRange(seen.Scanned, 0, 1);
        }
        finally
        {
            await using var admin = new NpgsqlConnection(Database.ConnectionString);
            await admin.ExecuteAsync("SELECT pg_cancel_backend(@pid)", new { pid });
            await Assert.ThrowsAsync<PostgresException>(() => vacuum);
        }
    }
}
