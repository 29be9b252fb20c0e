using Dapper;
using Npgsql;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// A portal on a fresh database that is also its <c>monitored</c> query target, read through a login role of the
/// database's own with pg_monitor only (the README's least-privilege role), dropped with the database. Subclasses call
/// the base's <see cref="Configure"/> and <see cref="SeedAsync"/>.
/// </summary>
public abstract class PortalOnMonitoredDatabase : PortalOnFreshDatabase
{
    private const string MonitorPassword = "Monitor-Pass-1";

    public string MonitorRole => "monitor_" + Database.Name;

    protected override void Configure(Dictionary<string, string?> settings) =>
        settings["Queries:Targets:monitored:ConnectionString"] = new NpgsqlConnectionStringBuilder(Database.ConnectionString)
        {
            Username = MonitorRole, Password = MonitorPassword,
        }.ConnectionString;

    protected override async Task SeedAsync(NpgsqlConnection connection) => await connection.ExecuteAsync($"""
        DROP ROLE IF EXISTS {MonitorRole};
        CREATE ROLE {MonitorRole} LOGIN PASSWORD '{MonitorPassword}' IN ROLE pg_monitor;
        GRANT CONNECT ON DATABASE "{Database.Name}" TO {MonitorRole};
        """);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await using var admin = new NpgsqlConnection(TestServices.PostgresAdmin);
        await admin.ExecuteAsync($"DROP ROLE IF EXISTS {MonitorRole}");
    }
}
