using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Portal;
using Portal.Bench;
using Portal.Data;
using Portal.Features.Jobs;

// Runs against the services `./portal bench` started (their addresses arrive in the portal's own variables).
var iterations = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 200;
// `./portal bench live`: only the live pages' viewers (about 10 minutes of Chromium tabs); `./portal bench lighthouse`:
// only the pages under Lighthouse (about 5 minutes); `./portal bench lab`: only the lab-checks job against Chromium's
// own load of the same pages (about 2 minutes); `./portal bench activity`: the query benchmarks, then the activity sampler
// and the plan-history job on 200 sessions (about a minute); `./portal bench backtest`: 100 burn-rate rules tried on 30 days;
// `./portal bench vitals`: ingestion of the enriched Web Vitals events against today's, and the page detail (about 2 minutes).
var only = args.FirstOrDefault(arg => !int.TryParse(arg, out _));

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
builder.Configuration["Logging:LogLevel:Default"] = "Warning"; // keep the results readable
builder.Configuration["Scorecards:CatalogueFile"] = ScorecardBenchmarks.WriteCatalogue();
builder.AddPortal();
await using var app = builder.Build();
await app.Services.MigrateDatabaseAsync(CancellationToken.None);

var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
var health = app.Services.GetRequiredService<HealthCheckService>();
var migrator = app.Services.GetRequiredService<DatabaseMigrator>();
await app.Services.GetRequiredService<WorkerHeartbeats>().RecordAsync(WorkerIdentity.Current, CancellationToken.None);

async Task SelectOne()
{
    await using var connection = await dataSource.OpenConnectionAsync();
    await connection.ExecuteScalarAsync<int>("SELECT 1");
}

if (only == "live")
{
    await LiveViewersBenchmarks.RunAsync(window: TimeSpan.FromSeconds(60));
    return;
}
if (only == "lighthouse")
{
    await LighthouseBenchmarks.RunAsync(app.Services);
    return;
}
if (only == "activity")
{
    await QueryBenchmarks.RunAsync(app.Services, 10); // the statements whose plans the plan-history job follows
    await ActivityPlanBenchmarks.RunAsync(app.Services, Math.Min(iterations, 50));
    return;
}
if (only == "backtest")
{
    await BacktestBenchmarks.RunAsync(app.Services);
    return;
}
if (only == "vitals")
{
    await VitalsBenchmarks.RunEnrichedAsync(seconds: 8, rounds: 5);
    return;
}
if (only == "lab")
{
    await LabBenchmarks.RunAsync(app.Services);
    return;
}

Benchmark[] benchmarks =
[
    new("readiness: all four probes (/readyz)", "SELECT 1", () => health.CheckHealthAsync(), SelectOne),
    new("migrator: start-up with the schema current", "SELECT 1", () => migrator.MigrateAsync(CancellationToken.None), SelectOne),
];

Console.WriteLine($"{iterations} iterations each, medians; ratio = benchmark / baseline measured in the same run");
foreach (var benchmark in benchmarks)
{
    Console.WriteLine(await benchmark.RunAsync(iterations));
}

await CacheBenchmarks.RunAsync(app.Services, iterations);
await QueryBenchmarks.RunAsync(app.Services, Math.Min(iterations, 50));
await ActivityPlanBenchmarks.RunAsync(app.Services, Math.Min(iterations, 50));
await ScorecardBenchmarks.RunAsync(app.Services, Math.Min(iterations, 50));
await BacktestBenchmarks.RunAsync(app.Services);
await ReportBenchmarks.RunAsync(app.Services, Math.Min(iterations, 10));
await VitalsBenchmarks.RunAsync(seconds: 10);
await VitalsBenchmarks.RunEnrichedAsync(seconds: 5, rounds: 1);
await ScaleOutBenchmarks.RunAsync(seconds: 10);
await LiveViewersBenchmarks.RunAsync(window: TimeSpan.FromSeconds(60));
await LighthouseBenchmarks.RunAsync(app.Services);
await LabBenchmarks.RunAsync(app.Services);
await SchedulerBenchmarks.RunAsync(app.Services.GetRequiredService<Hangfire.JobStorage>(), jobs: iterations);
