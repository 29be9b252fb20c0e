using Portal;
using Portal.Data;

var builder = WebApplication.CreateBuilder(args);
builder.AddPortal();

var app = builder.Build();
if (!await app.Services.TryMigrateDatabaseAsync(app.Lifetime.ApplicationStopping))
{
    return 1;
}

app.MapPortal();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
