using Portal.Data;
using Portal.Jobs;

namespace Portal.Tests.Worker;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddPortalJobs();
        TestJobs.AddTo(builder.Services);

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
