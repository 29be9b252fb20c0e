using Portal.Data;

namespace Portal.Jobs;

// An explicit entry point: top-level statements would add a second global Program beside the portal's.
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddPortalJobs();

        var app = builder.Build();
        if (!await app.Services.TryMigrateDatabaseAsync(app.Lifetime.ApplicationStopping))
        {
            return 1;
        }

        app.MapPortalJobs();
        await app.RunAsync();
        return 0;
    }
}
