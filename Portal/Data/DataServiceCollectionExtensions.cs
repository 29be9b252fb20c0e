using Dapper;
using Npgsql;

namespace Portal.Data;

public static class DataServiceCollectionExtensions
{
    public const string ConnectionStringName = "Portal";

    /// <summary>The portal's own PostgreSQL database: one pooled <see cref="Npgsql.NpgsqlDataSource"/> and its migrator.</summary>
    public static IServiceCollection AddPortalData(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetRequiredConnectionString(ConnectionStringName, "PostgreSQL");

        SqlMapper.AddTypeHandler(new UtcDateTimeOffsetHandler());
        services.AddNpgsqlDataSource(connectionString, builder => builder.Name = "portal");
        services.AddSingleton<DatabaseMigrator>();
        services.AddHttpContextAccessor(); // the audit log records the acting request's client address
        services.AddSingleton<Portal.Features.Audit.AuditLog>(); // both processes record administrative actions
        return services;
    }

    /// <summary>Applies pending migrations before the host starts serving; a failure stops start-up.</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
    }

    /// <summary>
    /// Start-up's form of <see cref="MigrateDatabaseAsync"/>: a failed migration or an unreachable database is logged
    /// as one critical line naming the cause (no stack trace to dig through) and the process exits with code 1.
    /// </summary>
    public static async Task<bool> TryMigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        var logger = services.GetRequiredService<ILogger<DatabaseMigrator>>();
        try
        {
            await services.MigrateDatabaseAsync(cancellationToken);
            return true;
        }
        catch (MigrationFailedException ex)
        {
            logger.LogCritical("Start-up stopped: {Message}", ex.Message);
        }
        catch (NpgsqlException ex)
        {
            var target = new NpgsqlConnectionStringBuilder(services.GetRequiredService<NpgsqlDataSource>().ConnectionString);
            logger.LogCritical("Start-up stopped: cannot reach PostgreSQL at {Host}:{Port}, database {Database}: {Message}",
                target.Host, target.Port, target.Database, ex.Message);
        }
        return false;
    }
}
