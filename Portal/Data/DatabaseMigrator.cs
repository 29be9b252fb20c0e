using Dapper;
using DbUp;
using DbUp.Engine;
using DbUp.Postgresql;
using Npgsql;

namespace Portal.Data;

/// <summary>
/// Applies the embedded <c>Data/Migrations/NNNN_name.sql</c> scripts in order, each in its own transaction,
/// journaled in <c>public.schema_migrations</c>, then the library-owned schemas (<see cref="ISchemaInstaller"/>).
/// A session-level advisory lock serialises processes that start together (web and worker), so exactly one of
/// them applies each script.
/// </summary>
public sealed class DatabaseMigrator(
    NpgsqlDataSource dataSource,
    IEnumerable<ISchemaInstaller> schemaInstallers,
    ILoggerFactory loggerFactory,
    ILogger<DatabaseMigrator> logger)
{
    /// <summary>Same key in every process that migrates this database ("portal" in ASCII).</summary>
    private const long AdvisoryLockKey = 0x706F7274616C;

    private static readonly TimeSpan ConnectRetryWindow = TimeSpan.FromSeconds(30);

    /// <returns>Names of the scripts this call applied (empty when the schema was already current).</returns>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenWithRetryAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@AdvisoryLockKey)", new { AdvisoryLockKey }, cancellationToken: cancellationToken));
        try
        {
            var upgrader = DeployChanges.To
                .PostgresqlDatabase(new PostgresqlConnectionManager(dataSource))
                .WithScriptsEmbeddedInAssembly(typeof(DatabaseMigrator).Assembly, IsMigration)
                .WithTransactionPerScript()
                .JournalToPostgresqlTable("public", "schema_migrations")
                .LogTo(loggerFactory)
                .Build();

            var result = upgrader.PerformUpgrade();
            if (!result.Successful)
            {
                throw new MigrationFailedException(result.ErrorScript?.Name ?? "(unknown script)", result.Error);
            }

            foreach (var installer in schemaInstallers)
            {
                installer.Install(connection);
            }

            var applied = result.Scripts.Select(script => script.Name).ToList();
            logger.LogInformation("Database schema is current; applied {Count} migration(s) now", applied.Count);
            return applied;
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@AdvisoryLockKey)", new { AdvisoryLockKey });
        }
    }

    /// <summary>Names of all migration scripts shipped with this build, in the order they apply.</summary>
    public static IReadOnlyList<string> ShippedMigrations() =>
        typeof(DatabaseMigrator).Assembly.GetManifestResourceNames().Where(IsMigration).Order(StringComparer.Ordinal).ToList();

    private static bool IsMigration(string resourceName) =>
        resourceName.Contains(".Data.Migrations.", StringComparison.Ordinal) && resourceName.EndsWith(".sql", StringComparison.Ordinal);

    // PostgreSQL may still be starting when both processes come up; wait for it rather than crash-loop.
    private async Task<NpgsqlConnection> OpenWithRetryAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + ConnectRetryWindow;
        while (true)
        {
            try
            {
                return await dataSource.OpenConnectionAsync(cancellationToken);
            }
            catch (NpgsqlException ex) when (DateTimeOffset.UtcNow < deadline && ex.IsTransient)
            {
                logger.LogWarning("PostgreSQL is not reachable yet ({Message}); retrying", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }
}

/// <summary>A migration script failed: names the script and carries PostgreSQL's message.</summary>
public sealed class MigrationFailedException(string scriptName, Exception? inner)
    : Exception($"Migration {scriptName} failed: {inner?.Message}", inner)
{
    public string ScriptName { get; } = scriptName;
}
