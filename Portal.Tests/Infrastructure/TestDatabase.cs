using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Data;
using Portal.Features.Jobs;
using Portal.Features.Vitals;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// A database of its own on the test cluster, dropped when disposed: by default a copy of one migrated once per
/// schema (<c>CREATE DATABASE … TEMPLATE</c>, a file copy instead of nineteen migrations and Hangfire's schema per test);
/// empty for the tests of migration itself.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private static readonly SemaphoreSlim TemplateGate = new(1, 1);
    private static string? template;

    private readonly string name;

    private TestDatabase(string name, string connectionString)
    {
        this.name = name;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public string Name => name;

    /// <summary>A database with the portal's schema, as the portal migrates it.</summary>
    public static async Task<TestDatabase> CreateAsync() => await CreateFromAsync(await TemplateAsync());

    /// <summary>An empty database: the tests of the migrations themselves.</summary>
    public static Task<TestDatabase> CreateEmptyAsync() => CreateFromAsync(null);

    private static async Task<TestDatabase> CreateFromAsync(string? from)
    {
        var name = "test_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsAdminAsync(from is null ? $"CREATE DATABASE \"{name}\"" : $"CREATE DATABASE \"{name}\" TEMPLATE \"{from}\"");
        return new TestDatabase(name, ConnectionStringOf(name));
    }

    private static string ConnectionStringOf(string database) =>
        new NpgsqlConnectionStringBuilder(TestServices.PostgresAdmin) { Database = database }.ConnectionString;

    private static async Task ExecuteAsAdminAsync(string sql)
    {
        await using var admin = new NpgsqlConnection(TestServices.PostgresAdmin);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand(sql, admin);
        await command.ExecuteNonQueryAsync();
    }

    // One template per schema (named by a hash of the shipped migrations), built once under an advisory lock so that
    // test processes running at once build it once; kept on the cluster for the next run against it (./portal up's).
    private static async Task<string> TemplateAsync()
    {
        if (template is { } built)
        {
            return built;
        }
        await TemplateGate.WaitAsync();
        try
        {
            if (template is not null)
            {
                return template;
            }
            var name = $"test_template_{SchemaHash()}";
            await using var admin = new NpgsqlConnection(TestServices.PostgresAdmin);
            await admin.OpenAsync();
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext(@name))", admin))
            {
                lockCommand.Parameters.AddWithValue("name", name);
                await lockCommand.ExecuteNonQueryAsync();
            }
            await using (var exists = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", admin))
            {
                exists.Parameters.AddWithValue("name", name);
                if ((long)(await exists.ExecuteScalarAsync())! == 0)
                {
                    await BuildTemplateAsync(name);
                }
            }
            template = name;
            return name;
        }
        finally
        {
            TemplateGate.Release();
        }
    }

    private static async Task BuildTemplateAsync(string name)
    {
        var building = name + "_building";
        await ExecuteAsAdminAsync($"DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)");
        await ExecuteAsAdminAsync($"CREATE DATABASE \"{building}\"");
        // No pooling: a copy needs the template without connections.
        var connectionString = new NpgsqlConnectionStringBuilder(ConnectionStringOf(building)) { Pooling = false }.ConnectionString;
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            ISchemaInstaller[] installers = [new HangfireSchema(), new VitalsStore(dataSource, Options.Create(new VitalsOptions()), TimeProvider.System)];
            await new DatabaseMigrator(dataSource, installers, NullLoggerFactory.Instance, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);
        }
        await ExecuteAsAdminAsync($"ALTER DATABASE \"{building}\" RENAME TO \"{name}\"");
    }

    private static string SchemaHash()
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var script in DatabaseMigrator.ShippedMigrations())
        {
            using var stream = assembly.GetManifestResourceStream(script)!;
            using var reader = new StreamReader(stream);
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(script + "\n" + reader.ReadToEnd()));
        }
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(typeof(Hangfire.PostgreSql.PostgreSqlStorage).Assembly.FullName!));
        return Convert.ToHexString(hash.GetHashAndReset())[..12].ToLowerInvariant();
    }

    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

    public async ValueTask DisposeAsync()
    {
        using (var connection = new NpgsqlConnection(ConnectionString))
        {
            NpgsqlConnection.ClearPool(connection); // this database's pooled connections only: other tests run beside
        }
        await ExecuteAsAdminAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }
}
