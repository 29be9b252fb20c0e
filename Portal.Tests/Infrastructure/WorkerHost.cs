using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Jobs;

namespace Portal.Tests.Infrastructure;

/// <summary>The real worker (Hangfire server, job catalogue, /metrics) in-process, composed as Portal.Jobs composes it.</summary>
public sealed class WorkerHost : IAsyncDisposable
{
    private readonly WebApplication app;
    private bool stopped;

    private WorkerHost(WebApplication app) => this.app = app;

    public IServiceProvider Services => app.Services;

    public Uri BaseAddress => new(app.Urls.First());

    /// <param name="configure">Extra services, e.g. test jobs added to the catalogue.</param>
    public static async Task<WorkerHost> StartAsync(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Testing",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddPortalJobs();
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        await app.Services.MigrateDatabaseAsync(CancellationToken.None);
        app.MapPortalJobs();
        await app.StartAsync();
        return new WorkerHost(app);
    }

    public async Task StopAsync()
    {
        if (!stopped)
        {
            stopped = true;
            await app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await app.DisposeAsync();
    }
}
