using Dapper;

namespace Portal.Data;

public static class DataServiceCollectionExtensions
{
    public const string ConnectionStringName = "Portal";

    /// <summary>The portal's own PostgreSQL database: one pooled <see cref="Npgsql.NpgsqlDataSource"/> and its migrator.</summary>
    public static IServiceCollection AddPortalData(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not set. `./portal up` sets it for the bundled PostgreSQL; " +
                $"set ConnectionStrings__{ConnectionStringName} to use another server.");
        }

        SqlMapper.AddTypeHandler(new UtcDateTimeOffsetHandler());
        services.AddNpgsqlDataSource(connectionString, builder => builder.Name = "portal");
        services.AddSingleton<DatabaseMigrator>();
        return services;
    }

    /// <summary>Applies pending migrations before the host starts serving; a failure stops start-up.</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
    }
}
