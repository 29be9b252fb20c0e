using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Portal.Data;
using Portal.Features.Jobs;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Data;

public sealed class DatabaseMigratorTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateEmptyAsync();

    public async Task DisposeAsync() => await database.DisposeAsync();

    private static DatabaseMigrator Migrator(NpgsqlDataSource dataSource) =>
        new(dataSource, [new HangfireSchema()], NullLoggerFactory.Instance, NullLogger<DatabaseMigrator>.Instance);

    private async Task<List<string>> JournalAsync()
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        if (!await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('public.schema_migrations') IS NOT NULL"))
        {
            return [];
        }
        return (await connection.QueryAsync<string>("SELECT scriptname FROM public.schema_migrations ORDER BY schemaversionsid")).AsList();
    }

    [Fact]
    public async Task MigrateAsync_Twice_SecondRunAppliesNothing()
    {
        await using var dataSource = database.CreateDataSource();

        var first = await Migrator(dataSource).MigrateAsync(CancellationToken.None);
        var second = await Migrator(dataSource).MigrateAsync(CancellationToken.None);

        Assert.NotEmpty(DatabaseMigrator.ShippedMigrations());
        Assert.Equal(DatabaseMigrator.ShippedMigrations(), first);
        Assert.Empty(second);
        Assert.Equal(DatabaseMigrator.ShippedMigrations(), await JournalAsync());
    }

    [Fact]
    public async Task MigrateAsync_TwoProcessesAtOnce_EachScriptAppliedOnceAndHangfireSchemaInstalled()
    {
        // Two independent pools, as the web and the worker process have.
        await using var web = database.CreateDataSource();
        await using var worker = database.CreateDataSource();

        var results = await Task.WhenAll(
            Task.Run(() => Migrator(web).MigrateAsync(CancellationToken.None)),
            Task.Run(() => Migrator(worker).MigrateAsync(CancellationToken.None)));

        Assert.Equal(DatabaseMigrator.ShippedMigrations(), results.SelectMany(applied => applied).Order(StringComparer.Ordinal));
        Assert.Equal(DatabaseMigrator.ShippedMigrations(), await JournalAsync());

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        var hangfireVersion = await connection.ExecuteScalarAsync<int>("SELECT max(version) FROM hangfire.schema");
        Assert.True(hangfireVersion > 0);
        Assert.True(await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('public.worker_heartbeats') IS NOT NULL"));
    }

    [Fact]
    public async Task MigrateAsync_ScriptFails_NamesScriptAndPostgresMessage()
    {
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.ExecuteAsync("CREATE TABLE worker_heartbeats (id int)");
        }
        await using var dataSource = database.CreateDataSource();

        var failure = await Assert.ThrowsAsync<MigrationFailedException>(() => Migrator(dataSource).MigrateAsync(CancellationToken.None));

        Assert.EndsWith("0001_worker_heartbeats.sql", failure.ScriptName, StringComparison.Ordinal);
        Assert.Contains("0001_worker_heartbeats.sql", failure.Message, StringComparison.Ordinal);
        Assert.Contains("already exists", failure.Message, StringComparison.Ordinal);
        Assert.Empty(await JournalAsync());
    }
}
