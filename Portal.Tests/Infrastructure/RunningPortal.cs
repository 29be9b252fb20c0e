using Microsoft.Extensions.DependencyInjection;

namespace Portal.Tests.Infrastructure;

/// <summary>A fresh database, a worker and a portal on Kestrel: what `./portal up` runs, in-process.</summary>
public sealed class RunningPortal : IAsyncDisposable
{
    private RunningPortal(TestDatabase database, WorkerHost worker, PortalApp portal)
    {
        Database = database;
        Worker = worker;
        Portal = portal;
    }

    public TestDatabase Database { get; }

    public WorkerHost Worker { get; }

    public PortalApp Portal { get; }

    public static async Task<RunningPortal> StartAsync(string? redis = null, Action<IServiceCollection>? worker = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var database = await TestDatabase.CreateAsync();
        WorkerHost? host = null;
        try
        {
            var all = PortalSettings.For(database, redis);
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                all[key] = value;
            }
            host = await WorkerHost.StartAsync(all, worker);
            return new RunningPortal(database, host, new PortalApp(all).Start());
        }
        catch
        {
            if (host is not null) await host.DisposeAsync();
            await database.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Portal.DisposeAsync();
        await Worker.DisposeAsync();
        await Database.DisposeAsync();
    }
}
