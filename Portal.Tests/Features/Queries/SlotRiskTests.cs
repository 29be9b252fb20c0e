using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>
/// A replication slot nobody consumes, on the test cluster: the WAL it retains is a maintenance risk against its limit
/// (here 1 MiB, so a few megabytes of writes make it critical), measured as the catalogue measures it around the read,
/// with the statement that drops it. The slot is dropped at the end: it would keep the shared cluster's WAL for ever.
/// </summary>
public sealed class SlotRiskTests : PortalOnFreshDatabase
{
    private string Slot => "portal_test_" + Database.Name.Replace('-', '_');

    protected override void Configure(Dictionary<string, string?> settings) => settings["Queries:Risks:SlotWalLimitMegabytes"] = "1";

    [Fact]
    public async Task InactiveSlot_RetainingWal_IsARisk_NamedWithItsDrop()
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync("SELECT pg_create_physical_replication_slot(@Slot, true)", new { Slot });
        try
        {
            await connection.ExecuteAsync("CREATE TABLE filler AS SELECT n, repeat('w', 200) AS pad FROM generate_series(1, 30000) n");
            const string retained = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 FROM pg_replication_slots WHERE slot_name = @Slot";
            var before = await connection.ExecuteScalarAsync<double>(retained, new { Slot });

            var report = await App.Services.GetRequiredService<MaintenanceRisks>().ReadAsync(QueryOptions.PortalTarget);

            var after = await connection.ExecuteScalarAsync<double>(retained, new { Slot });
            var risk = Assert.Single(report.Risks, risk => risk.Kind == RiskKinds.Slot && risk.Subject.Contains(Slot, StringComparison.Ordinal));
            Assert.Equal($"slot {Slot} (physical, inactive)", risk.Subject);
            Assert.InRange(risk.Used, before, after);
            Assert.Equal(1024 * 1024, risk.Limit);
            Assert.True(before > 1024 * 1024, $"{before} bytes retained");
            Assert.Equal(RiskStatuses.Critical, risk.Status);
            Assert.Contains($"SELECT pg_drop_replication_slot('{Slot}');", risk.Advice, StringComparison.Ordinal);
            Assert.EndsWith("MiB of 1 MiB of WAL", MaintenanceRisks.Describe(risk), StringComparison.Ordinal);
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_drop_replication_slot(@Slot)", new { Slot });
        }
    }
}
