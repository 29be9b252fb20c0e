using Microsoft.Extensions.Logging.Console;
using Portal;
using Portal.Data;
using Portal.Features.Auth;

if (args is ["slas", "check", var catalogue])
{
    return await Portal.Features.Scorecards.SlaCheckCommand.RunAsync(catalogue, Console.Out);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddPortal();
if (args is ["token", ..])
{
    // Standard output carries only the token, for scripts: every log line goes to standard error.
    builder.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
}

var app = builder.Build();
if (!await app.Services.TryMigrateDatabaseAsync(app.Lifetime.ApplicationStopping))
{
    return 1;
}

if (args is ["token", .. var tokenArgs])
{
    return await TokenCommand.RunAsync(app.Services, tokenArgs);
}

await PostgresKeyRing.EnsureKeyAsync(app.Services, app.Lifetime.ApplicationStopping);
await app.Services.GetRequiredService<InitialAdmin>().EnsureAsync(app.Lifetime.ApplicationStopping);
app.MapPortal();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
