using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;
using Portal.Features.Vitals;

namespace Portal.Bench;

/// <summary>
/// Web Vitals ingestion over HTTP with wrk on loopback: the real endpoint (group commit, 202 once durable) against an
/// endpoint inside this benchmark that INSERTs each event on its own, and against a plain COPY of the same rows from a
/// file — all in the same run, on the same database.
/// </summary>
public static class VitalsBenchmarks
{
    private const int EventsPerBatch = 20;

    public static async Task RunAsync(int seconds)
    {
        await using var app = await StartPortalAsync(extra: app => app.MapPost("/bench/insert-per-event", InsertPerEventAsync).AllowAnonymous().DisableAntiforgery());
        var address = app.Urls.Single();
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        var script = await WriteScriptAsync(app);

        var copy = await CopyFromFileAsync(dataSource, 200_000);
        var group = await WrkAsync($"{address}/api/v1/vitals", script, connections: 32, seconds);
        var perEvent = await WrkAsync($"{address}/bench/insert-per-event", script, connections: 32, seconds);
        var moderate = await WrkAsync($"{address}/api/v1/vitals", script, connections: 4, seconds);
        File.Delete(script);

        Console.WriteLine($"{"vitals ingestion, 32 connections",-44} {group.EventsPerSecond,10:N0} events/s  p99 {group.P99Ms,6:F1} ms  " +
            $"= {group.EventsPerSecond / perEvent.EventsPerSecond:F1}x INSERT per event, {group.EventsPerSecond / copy:P0} of raw COPY  ({group.Failures} non-202)");
        Console.WriteLine($"{"vitals ingestion, 4 connections",-44} {moderate.EventsPerSecond,10:N0} events/s  p99 {moderate.P99Ms,6:F1} ms  p50 {moderate.P50Ms:F1} ms  ({moderate.Failures} non-202)");
        Console.WriteLine($"{"baseline: INSERT per event, 32 connections",-44} {perEvent.EventsPerSecond,10:N0} events/s  p99 {perEvent.P99Ms,6:F1} ms  ({perEvent.Failures} non-202)");
        Console.WriteLine($"{"baseline: COPY of 200,000 rows from a file",-44} {copy,10:N0} events/s");
        await app.StopAsync();
    }

    /// <summary>
    /// A web process of the portal in this one, on a loopback port of its own, its ingestion limits off; with
    /// <paramref name="pages"/>, also serving its pages' static assets (the build's manifests, as in development).
    /// </summary>
    public static async Task<WebApplication> StartPortalAsync(Action<WebApplication>? extra = null, bool pages = false, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Production",
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = pages ? "Portal" : null,
        });
        if (pages)
        {
            builder.WebHost.UseStaticWebAssets();
        }
        builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        builder.Configuration["Vitals:RequestsPerMinutePerKey"] = int.MaxValue.ToString(CultureInfo.InvariantCulture);
        builder.Configuration["Vitals:RequestsPerMinutePerAddress"] = int.MaxValue.ToString(CultureInfo.InvariantCulture);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddPortal();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        await app.Services.GetRequiredService<Portal.Data.DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        app.MapPortal();
        extra?.Invoke(app);
        await app.StartAsync();
        return app;
    }

    /// <summary>wrk's script: the same batch of <see cref="EventsPerBatch"/> events, posted again and again.</summary>
    public static async Task<string> WriteScriptAsync(WebApplication app)
    {
        var key = (await app.Services.GetRequiredService<VitalsApps>().PortalKeyAsync())!;
        var body = JsonSerializer.Serialize(new
        {
            key,
            events = Enumerable.Range(0, EventsPerBatch).Select(index => new
            {
                name = VitalsMetric.All[index % VitalsMetric.All.Count].Name, value = index % 5 == 2 ? 0.05 : 100.0 + index, id = $"v5-bench-{index}",
                navigationType = "navigate", page = $"/products/{index % 7}", device = index % 2 == 0 ? "mobile" : "desktop", attribution = new { target = "main > img" },
            }),
        });
        var script = Path.Combine(Path.GetTempPath(), $"vitals-{Environment.ProcessId}.lua");
        await File.WriteAllTextAsync(script, $$"""
            wrk.method = "POST"
            wrk.body = [[{{body}}]]
            wrk.headers["Content-Type"] = "text/plain"
            done = function(summary, latency, requests)
              io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration, latency:percentile(99), latency:percentile(50),
                summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
            end
            """);
        return script;
    }

    public sealed record WrkResult(double EventsPerSecond, double P99Ms, double P50Ms, long Failures);

    public static async Task<WrkResult> WrkAsync(string url, string script, int connections, int seconds)
    {
        var wrk = Process.Start(new ProcessStartInfo("wrk", ["-t1", $"-c{connections}", $"-d{seconds}s", "-s", script, url]) { RedirectStandardOutput = true })!;
        var output = await wrk.StandardOutput.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        var line = output.Split('\n').Single(text => text.StartsWith("RESULT ", StringComparison.Ordinal)).Split(' ');
        var (requests, micros, p99, p50, failures) = (long.Parse(line[1]), long.Parse(line[2]), long.Parse(line[3]), long.Parse(line[4]), long.Parse(line[5]));
        return new WrkResult((requests - failures) * EventsPerBatch / (micros / 1e6), p99 / 1000.0, p50 / 1000.0, failures);
    }

    // The same endpoint's work without group commit: validate, then one INSERT (one commit) per event.
    private static async Task<IResult> InsertPerEventAsync(HttpRequest request, VitalsApps apps, NpgsqlDataSource dataSource)
    {
        using var document = await JsonDocument.ParseAsync(request.Body);
        var (parsed, _, _) = VitalsPayload.Read(document);
        if (parsed?.Key is null || await apps.ByKeyAsync(parsed.Key) is not { } app)
        {
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }
        var (events, _) = VitalsPayload.Validate(app, parsed.Events, DateTimeOffset.UtcNow, batch: true);
        await using var connection = await dataSource.OpenConnectionAsync();
        foreach (var item in events!)
        {
            await connection.ExecuteAsync("""
                INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, navigation_type, page, device, connection, release, attribution)
                VALUES (@App, @ReceivedAt, @Metric, @Value, @Delta, @Rating, @EventId, @NavigationType, @Page, @Device, @Connection, @Release, @Attribution)
                """, item);
        }
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    /// <returns>Rows a second.</returns>
    private static async Task<double> CopyFromFileAsync(NpgsqlDataSource dataSource, int rows)
    {
        var file = Path.Combine(Path.GetTempPath(), $"vitals-{Environment.ProcessId}.tsv");
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        await using (var writer = new StreamWriter(file, false, Encoding.UTF8))
        {
            for (var row = 0; row < rows; row++)
            {
                await writer.WriteLineAsync($"portal\t{now}\tLCP\t{100 + row % 50}\t{100 + row % 50}\tgood\tv5-copy-{row % EventsPerBatch}\tnavigate\t/products/{row % 7}\tmobile\t\\N\t\\N\t{{\"target\":\"main > img\"}}");
            }
        }
        var started = Stopwatch.GetTimestamp();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var import = await connection.BeginTextImportAsync(
                "COPY vitals_events (app, received_at, metric, value, delta, rating, event_id, navigation_type, page, device, connection, release, attribution) FROM STDIN");
            await import.WriteAsync(await File.ReadAllTextAsync(file));
        }
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        File.Delete(file);
        return rows / elapsed;
    }
}
