using Hangfire.PostgreSql;
using Npgsql;
using Portal.Data;

namespace Portal.Features.Jobs;

/// <summary>Hangfire.PostgreSql's own tables, in schema <c>hangfire</c>, created and upgraded by its installer.</summary>
public sealed class HangfireSchema : ISchemaInstaller
{
    public const string Name = "hangfire";

    public void Install(NpgsqlConnection connection) => PostgreSqlObjectsInstaller.Install(connection, Name);
}
