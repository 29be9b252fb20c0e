using Npgsql;

namespace Portal.Data;

/// <summary>
/// Schema maintained in code rather than by our migrations (Hangfire's, the day partitions of Web Vitals). Installed by the migrator while it
/// holds the migration lock, so processes starting together never race on it.
/// </summary>
public interface ISchemaInstaller
{
    void Install(NpgsqlConnection connection);
}
