using Portal.Data;
using Portal.Jobs;

var builder = WebApplication.CreateBuilder(args);
builder.AddPortalJobs();

var app = builder.Build();
await app.Services.MigrateDatabaseAsync(app.Lifetime.ApplicationStopping);
app.MapPortalJobs();
await app.RunAsync();

/// <summary>Entry point, visible to the tests that start a worker in-process.</summary>
public partial class Program;
