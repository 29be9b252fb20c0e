using Npgsql;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// A portal on a fresh database of its own: the database is also the portal's default query target, so a test's
/// fixture tables and workload are what the Queries feature reads. As a test class's base, one per test; as a class
/// fixture (<c>IClassFixture</c> of a subclass), one for the tests of a class that do not disturb each other.
/// </summary>
public abstract class PortalOnFreshDatabase : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;

    public PortalApp App { get; private set; } = null!;

    /// <summary>Settings beyond <see cref="PortalSettings.For"/>.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    /// <summary>The test's tables and rows, written once the portal has migrated the database.</summary>
    protected virtual Task SeedAsync(NpgsqlConnection connection) => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        var settings = PortalSettings.For(Database);
        Configure(settings);
        App = new PortalApp(settings).Start();
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await SeedAsync(connection);
    }

    public virtual async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Database.DisposeAsync();
    }
}
