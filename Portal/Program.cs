using Microsoft.Extensions.Logging.Console;
using Portal;
using Portal.Data;
using Portal.Features.Auth;

var builder = WebApplication.CreateBuilder(args);
if (args is ["slas", "check", var file] && string.IsNullOrEmpty(builder.Configuration.GetConnectionString("Portal")))
{
    return await Portal.Features.Scorecards.SlaCheckCommand.RunAsync(null, file, Console.Out);
}
builder.AddPortal();
if (args is ["slas", "check", ..] or ["token", ..] or ["alerts", "backtest", ..])
{
    // Commands say what they did, not how the portal starts (the token printed migration logs).
    // A rule of the console provider's own, so it outranks appsettings.json's Default: Information.
    builder.Logging.AddFilter<ConsoleLoggerProvider>(null, LogLevel.Warning);
}
if (args is ["token", ..] or ["slas", "check", ..] or ["alerts", "backtest", ..])
{
    // Standard output carries only the token or the check's findings, for scripts: every log line goes to standard error.
    builder.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
}

var app = builder.Build();
if (args is ["slas", "check", var catalogue])
{
    // Read-only: the portal's configuration (targets, Prometheus) and its database (apps), nothing started or migrated.
    return await Portal.Features.Scorecards.SlaCheckCommand.RunAsync(app.Services, catalogue, Console.Out);
}
if (args is ["alerts", "backtest", var rulesFile, .. var backtestArgs])
{
    // Read-only: the portal's stored data and its Prometheus, nothing started or migrated.
    return await Portal.Features.Alerts.AlertBacktestCommand.RunAsync(app.Services, rulesFile, backtestArgs, Console.Out);
}
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
