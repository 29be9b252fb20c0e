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

    public static async Task<RunningPortal> StartAsync(string? redis = null)
    {
        var database = await TestDatabase.CreateAsync();
        WorkerHost? worker = null;
        try
        {
            var settings = PortalSettings.For(database, redis);
            worker = await WorkerHost.StartAsync(settings);
            return new RunningPortal(database, worker, new PortalApp(settings).Start());
        }
        catch
        {
            if (worker is not null) await worker.DisposeAsync();
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
