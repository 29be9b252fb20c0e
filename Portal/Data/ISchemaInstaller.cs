using Npgsql;

namespace Portal.Data;

/// <summary>
/// A schema owned by a library rather than by our migrations (Hangfire's). Installed by the migrator while it
/// holds the migration lock, so processes starting together never race on it.
/// </summary>
public interface ISchemaInstaller
{
    void Install(NpgsqlConnection connection);
}
