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

    /// <summary>
    /// <c>./portal bench vitals</c>: ingestion of the events the snippet sends since #30 (LCP subparts, INP phases and
    /// three long-frame scripts, Server-Timing, INP and CLS re-sent) against the events it sent before (the target
    /// alone), rounds interleaved in one run; and the page detail with its diagnostics against the page as it was.
    /// </summary>
    public static async Task RunEnrichedAsync(int seconds, int rounds = 3)
    {
        await using var app = await StartPortalAsync();
        var address = app.Urls.Single();
        var scripts = new[] { ("today's events (target only)", Shape.Plain), ("enriched events", Shape.Enriched), ("enriched, INP and CLS sent again", Shape.Resent) }
            .Select(variant => (variant.Item1, Script: WriteScriptAsync(app, variant.Item2).GetAwaiter().GetResult(), Results: new List<WrkResult>())).ToList();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var variant in scripts)
            {
                variant.Results.Add(await WrkAsync($"{address}/api/v1/vitals", variant.Script, connections: 32, seconds));
            }
        }
        var baseline = Median(scripts[0].Results.Select(result => result.EventsPerSecond));
        foreach (var (name, script, results) in scripts)
        {
            File.Delete(script);
            var rate = Median(results.Select(result => result.EventsPerSecond));
            Console.WriteLine($"{"vitals ingestion: " + name,-52} {rate,10:N0} events/s  p99 {Median(results.Select(result => result.P99Ms)),6:F1} ms  " +
                $"= {rate / baseline:F2}x today's events  ({results.Sum(result => result.Failures)} non-202; medians of {rounds} rounds of {seconds} s)");
        }
        await PageDetailAsync(app);
        await app.StopAsync();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    // The page detail of a page with 20,000 enriched events in the last hour: as it was (distribution, targets, devices,
    // releases) against as it is (the same and the diagnostics).
    private static async Task PageDetailAsync(WebApplication app)
    {
        var store = app.Services.GetRequiredService<VitalsStore>();
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("INSERT INTO vitals_apps (id, name, public_key) VALUES ('bench-detail', 'Bench', 'pk_bench_detail') ON CONFLICT DO NOTHING");
            await connection.ExecuteAsync("""
                INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, navigation_type, page, device, attribution)
                SELECT 'bench-detail', now() - random() * interval '50 minutes', m.name, v.value, v.value, 'good', 'v5-detail-' || i, 'navigate', '/bench-detail', 'mobile',
                       CASE m.name
                         WHEN 'LCP' THEN jsonb_build_object('target', 'main > img', 'url', '/hero-' || (i % 3) || '.jpg', 'timeToFirstByte', v.value * 0.2,
                              'resourceLoadDelay', v.value * 0.1, 'resourceLoadDuration', v.value * 0.6, 'elementRenderDelay', v.value * 0.1)::text
                         WHEN 'INP' THEN jsonb_build_object('target', '#buy-' || (i % 5), 'inputDelay', 2, 'processingDuration', v.value - 10, 'presentationDelay', 8,
                              'scripts', jsonb_build_array(jsonb_build_object('url', '/app.js', 'fn', 'handler' || (i % 4), 'duration', v.value - 12)))::text
                         WHEN 'TTFB' THEN jsonb_build_object('serverTiming', jsonb_build_array(jsonb_build_object('name', 'db', 'dur', v.value / 2),
                              jsonb_build_object('name', 'app', 'dur', v.value / 4)))::text
                         ELSE '{"target":"main"}' END
                FROM generate_series(1, 20000) i, LATERAL (SELECT (ARRAY['LCP','INP','CLS','FCP','TTFB'])[1 + i % 5] AS name) m,
                     LATERAL (SELECT CASE WHEN m.name = 'CLS' THEN random() * 0.3 ELSE 50 + random() * 3000 END AS value) v
                """);
        }
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            // The same page views as they were sent before #30 (the target alone), in an app of their own.
            await connection.ExecuteAsync("""
                INSERT INTO vitals_apps (id, name, public_key) VALUES ('bench-plain', 'Bench', 'pk_bench_plain') ON CONFLICT DO NOTHING;
                INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, navigation_type, page, device, attribution)
                SELECT 'bench-plain', received_at, metric, value, delta, rating, event_id, navigation_type, page, device, jsonb_build_object('target', attribution::jsonb ->> 'target')::text
                FROM vitals_events WHERE app = 'bench-detail';
                ANALYZE vitals_events;
                """);
        }
        var (from, to) = (DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow);

        // The pages' reads of before #30 (the app's summary and pages, a page's detail), over enriched rows against plain ones.
        async Task<double> ReadsAsync(string app)
        {
            var started = Stopwatch.GetTimestamp();
            await store.SummaryAsync(app, from, to);
            await store.PagesAsync(app, from, to);
            await store.PageDetailAsync(app, "/bench-detail", "LCP", from, to);
            await store.PageDetailAsync(app, "/bench-detail", "INP", from, to);
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        // Before #30 the page detail was five statements, each its own scan: kept here as the baseline of "today's pages".
        async Task<double> TodaysReadsAsync(string app)
        {
            var started = Stopwatch.GetTimestamp();
            await store.SummaryAsync(app, from, to);
            await store.PagesAsync(app, from, to);
            await TodaysPageDetailAsync(dataSource, app, "/bench-detail", "LCP", from, to);
            await TodaysPageDetailAsync(dataSource, app, "/bench-detail", "INP", from, to);
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        var today = new List<double>();
        var plain = new List<double>();
        var enriched = new List<double>();
        for (var round = 0; round < 15; round++)
        {
            today.Add(await TodaysReadsAsync("bench-plain"));
            plain.Add(await ReadsAsync("bench-plain"));
            enriched.Add(await ReadsAsync("bench-detail"));
        }
        Console.WriteLine($"{"vitals pages' reads over enriched events",-52} {Median(enriched),8:F1} ms  = {Median(enriched) / Median(today):F2}x today's pages over today's events ({Median(today):F1} ms); " +
            $"{Median(enriched) / Median(plain):F2}x the same reads over today's events ({Median(plain):F1} ms)");

        var before = new List<double>();
        var after = new List<double>();
        for (var round = 0; round < 15; round++)
        {
            var started = Stopwatch.GetTimestamp();
            await store.PageDetailAsync("bench-detail", "/bench-detail", "LCP", from, to);
            before.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            started = Stopwatch.GetTimestamp();
            await Task.WhenAll(store.PageDetailAsync("bench-detail", "/bench-detail", "LCP", from, to), store.DiagnosticsAsync("bench-detail", "/bench-detail", from, to));
            after.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        Console.WriteLine($"{"vitals page detail with its diagnostics (20,000 events)",-52} {Median(after),8:F1} ms  = {Median(after) / Median(before):F2}x the page's other reads ({Median(before):F1} ms; " +
            "they show first, the diagnostics when read)");
    }

    // The page detail's reads as they were before #30 (a baseline, not the portal's code): the 99th percentile, the
    // histogram, targets, devices and releases, five statements.
    private static async Task TodaysPageDetailAsync(NpgsqlDataSource dataSource, string app, string page, string metric, DateTimeOffset from, DateTimeOffset to)
    {
        var window = new { app, page, metric, from, to, bars = VitalsStore.HistogramBars };
        const string scope = "app = @app AND page = @page AND metric = @metric AND received_at >= @from AND received_at < @to";
        await using var connection = await dataSource.OpenConnectionAsync();
        var top = await connection.QuerySingleAsync<double?>($"SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY value) FROM vitals_events WHERE {scope}", window);
        if (top is > 0 and var upper)
        {
            await connection.QueryAsync<(int, long)>($"SELECT least(floor(value / @width)::int, @bars - 1), count(*) FROM vitals_events WHERE {scope} GROUP BY 1",
                new { app, page, metric, from, to, bars = VitalsStore.HistogramBars, width = upper / VitalsStore.HistogramBars });
        }
        await connection.QueryAsync($"""
            SELECT coalesce(attribution::jsonb ->> 'target', '(unknown)'), percentile_cont(0.75) WITHIN GROUP (ORDER BY value), count(*)
            FROM vitals_events WHERE {scope} GROUP BY 1 ORDER BY count(*) DESC LIMIT 10
            """, window);
        await connection.QueryAsync($"SELECT device, percentile_cont(0.75) WITHIN GROUP (ORDER BY value), count(*) FROM vitals_events WHERE {scope} GROUP BY 1 ORDER BY 1", window);
        await connection.QueryAsync($"""
            SELECT coalesce(release, '(none)'), percentile_cont(0.75) WITHIN GROUP (ORDER BY value), count(*), min(received_at)
            FROM vitals_events WHERE {scope} GROUP BY 1 ORDER BY min(received_at) DESC LIMIT 6
            """, window);
    }

    private enum Shape { Plain, Enriched, Resent }

    /// <summary>wrk's script: the same batch of <see cref="EventsPerBatch"/> events, posted again and again.</summary>
    public static Task<string> WriteScriptAsync(WebApplication app) => WriteScriptAsync(app, Shape.Plain);

    // Each of 1,000 requests has events with ids of its own (a page view each, as browsers send them). For Shape.Resent every
    // second request sends the INP and CLS instances of the request before again, larger, as their second report: each
    // replaces a row, as when a page comes back and its INP grows.
    private static async Task<string> WriteScriptAsync(WebApplication app, Shape shape)
    {
        var key = (await app.Services.GetRequiredService<VitalsApps>().PortalKeyAsync())!;
        string Body(bool resend) => JsonSerializer.Serialize(new
        {
            key,
            events = Enumerable.Range(0, EventsPerBatch).Select(index =>
            {
                var name = VitalsMetric.All[index % VitalsMetric.All.Count].Name;
                var again = resend && name is "INP" or "CLS";
                return new
                {
                    name, value = index % 5 == 2 ? 0.05 : 100.0 + index + (again ? 50 : 0), id = $"v5-bench-{shape}-{(again ? "@P@" : "@N@")}-{index}",
                    navigationType = "navigate", page = $"/products/{index % 7}", device = index % 2 == 0 ? "mobile" : "desktop",
                    attribution = shape == Shape.Plain ? (object)new { target = "main > img" } : Enriched(name, 100.0 + index),
                    report = again ? 2 : (int?)null,
                };
            }),
        });
        var script = Path.Combine(Path.GetTempPath(), $"vitals-{Environment.ProcessId}-{shape}.lua");
        await File.WriteAllTextAsync(script, $$"""
            wrk.method = "POST"
            wrk.headers["Content-Type"] = "text/plain"
            local fresh = [[{{Body(false)}}]]
            local resend = [[{{Body(shape == Shape.Resent)}}]]
            -- 1,000 requests made once (wrk's own work per request stays as small as with one fixed body), sent in turn.
            -- In init: wrk knows the URL's path only once the thread starts.
            local requests = {}
            init = function(args)
              for n = 1, 1000 do
                local template = (n % 2 == 0) and resend or fresh
                local body = template:gsub("@N@", tostring(n)):gsub("@P@", tostring(n - 1))
                requests[n] = wrk.format(nil, nil, nil, body)
              end
            end
            local counter = 0
            request = function()
              counter = counter % 1000 + 1
              return requests[counter]
            end
            done = function(summary, latency, requests)
              io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration, latency:percentile(99), latency:percentile(50),
                summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
            end
            """);
        return script;
    }

    // What the snippet sends per metric since #30, at full size: LCP's subparts and resource, INP's phases and three
    // long-frame scripts, three Server-Timing entries; FCP nothing.
    private static Dictionary<string, object>? Enriched(string metric, double value) => metric switch
    {
        "LCP" => new Dictionary<string, object> { ["target"] = "main > section.hero > picture > img.hero-image", ["url"] = "https://cdn.shop.example/images/hero-winter-2026.jpg",
            ["timeToFirstByte"] = value * 0.2, ["resourceLoadDelay"] = value * 0.1, ["resourceLoadDuration"] = value * 0.6, ["elementRenderDelay"] = value * 0.1 },
        "INP" => new Dictionary<string, object> { ["target"] = "#cart > button.add-to-cart", ["type"] = "pointer", ["loadState"] = "complete", ["inputDelay"] = 3.2,
            ["processingDuration"] = value - 20, ["presentationDelay"] = 16.8,
            ["scripts"] = Enumerable.Range(0, 3).Select(script => new { url = $"https://shop.example/assets/chunk-{script}.js", fn = $"handleClick{script}",
                invoker = "BUTTON.add-to-cart.onclick", duration = Math.Round(value / (script + 2), 1) }).ToArray() },
        "CLS" => new Dictionary<string, object> { ["target"] = "main > div.banner", ["loadState"] = "dom-content-loaded" },
        "FCP" => null,
        _ => new Dictionary<string, object> { ["serverTiming"] = new object[] { new { name = "db", dur = value / 2, desc = "queryid=-8812334455 target=main" }, new { name = "app", dur = value / 4 }, new { name = "cache", desc = "miss" } } },
    };

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
