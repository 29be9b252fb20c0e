using Portal.Data;

namespace Portal.Jobs;

// An explicit entry point: top-level statements would add a second global Program beside the portal's.
public static class Program
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddPortalJobs();

        var app = builder.Build();
        await app.Services.MigrateDatabaseAsync(app.Lifetime.ApplicationStopping);
        app.MapPortalJobs();
        await app.RunAsync();
    }
}
