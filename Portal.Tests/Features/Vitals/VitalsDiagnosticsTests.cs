using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Reports;
using Portal.Features.Vitals;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Vitals;

/// <summary>
/// The diagnostics fields through the real ingestion (validated, stored, re-sent instances replacing their first row,
/// soft navigations per app) and the page's breakdowns, scripts and Server-Timing figures against a computation here
/// over the events sent. Each test has its own pages, so the class shares one portal.
/// </summary>
public sealed class VitalsDiagnosticsTests(VitalsDiagnosticsTests.Seeded fixture) : IClassFixture<VitalsDiagnosticsTests.Seeded>
{
    private const string Origin = "https://shop.example";
    private static readonly ReportPeriod Week = ReportPeriod.Last(ReportSchedules.Weekly, DateTimeOffset.UtcNow, "UTC");

    public sealed class Seeded : PortalOnFreshDatabase
    {
        public string ShopKey { get; } = VitalsApps.NewKey();

        public string SpaKey { get; } = VitalsApps.NewKey();

        protected override void Configure(Dictionary<string, string?> settings) => settings["Vitals:RequestsPerMinutePerKey"] = "1000";

        protected override async Task SeedAsync(NpgsqlConnection connection)
        {
            await connection.ExecuteAsync("""
                INSERT INTO vitals_apps (id, name, public_key, allowed_origins, soft_navigations)
                VALUES ('shop', 'Shop', @ShopKey, @origins, false), ('spa', 'Back office', @SpaKey, @origins, true), ('weekly', 'Weekly', 'pk_weekly', '{}', false)
                """, new { ShopKey, SpaKey, origins = new[] { Origin } });

            // The report's week: ten LCP views of /checkout, 2,600 to 3,500 ms. p75 = 3,275 ms; the view nearest it is the
            // 3,300 ms one (a tenth of ten is one), whose parts are 300 + 100 + 2,500 (hero.jpg) + 400: 75.76 % load duration.
            for (var index = 0; index < 10; index++)
            {
                var value = 2_600 + 100 * index;
                var parts = value == 3_300 ? (300, 100, 2_500, 400) : (value - 300, 100, 100, 100);
                await connection.ExecuteAsync("""
                    INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, page, device, attribution)
                    VALUES ('weekly', @at, 'LCP', @value, @value, 'poor', @id, '/checkout', 'mobile', @attribution)
                    """, new
                {
                    at = Week.Start.AddDays(2).AddMinutes(index), value, id = $"lcp-{index}",
                    attribution = JsonSerializer.Serialize(new
                    {
                        target = "main > img", url = value == 3_300 ? "/img/hero.jpg" : "/img/other.jpg",
                        timeToFirstByte = parts.Item1, resourceLoadDelay = parts.Item2, resourceLoadDuration = parts.Item3, elementRenderDelay = parts.Item4,
                    }),
                });
            }
        }
    }

    private VitalsStore Store => fixture.App.Services.GetRequiredService<VitalsStore>();

    private Task<HttpResponseMessage> PostAsync(string key, params object[] events) => PostAsync(JsonSerializer.Serialize(new { key, events }));

    private async Task<HttpResponseMessage> PostAsync(string body)
    {
        using var client = fixture.App.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/vitals")
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("text/plain")),
        };
        request.Headers.Add("Origin", Origin);
        return await client.SendAsync(request);
    }

    private async Task<List<(string Metric, double Value, string EventId, string Page, string? NavigationType, string? Attribution)>> RowsAsync(string app, string page)
    {
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        return (await connection.QueryAsync<(string, double, string, string, string?, string?)>(
            "SELECT metric, value, event_id, page, navigation_type, attribution FROM vitals_events WHERE app = @app AND page = @page ORDER BY metric, value",
            new { app, page })).AsList();
    }

    private static object Event(string name, double value, string page, object? attribution = null, string? id = null, int? report = null, string navigationType = "navigate") =>
        new { name, value, delta = value, id = id ?? $"v5-{Guid.NewGuid():N}", navigationType, page, device = "desktop", attribution, report };

    [Fact]
    public async Task EnrichedEvents_AreStoredWithTheFieldsThePagesRead_Only()
    {
        var response = await PostAsync(fixture.ShopKey,
            Event("LCP", 2_000, "/enriched", new { target = "img.hero", url = "/hero.jpg", timeToFirstByte = 500.5, resourceLoadDelay = 20, resourceLoadDuration = 1_400, elementRenderDelay = 79.5, lcpEntry = new { big = 1 } }),
            Event("INP", 340, "/enriched", new
            {
                target = "#buy", type = "pointer", loadState = "complete", inputDelay = 4, processingDuration = 310, presentationDelay = 26,
                scripts = new[] { new { url = "https://shop.example/app.js", fn = "slowHandler", invoker = "BUTTON#buy.onclick", invokerType = "event-listener", duration = 305.54 } },
            }),
            Event("FCP", 900, "/enriched", new { timeToFirstByte = 130, firstByteToFCP = 770 }),
            Event("TTFB", 130, "/enriched", new { requestDuration = 125, serverTiming = new object[] { new { name = "db", dur = 123, desc = "queryid=42" }, new { name = "cache", desc = "hit" } } }));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var rows = await RowsAsync("shop", "/enriched");
        Assert.Equal("""{"target":"#buy","type":"pointer","loadState":"complete","inputDelay":4,"processingDuration":310,"presentationDelay":26,"scripts":[{"url":"https://shop.example/app.js","fn":"slowHandler","invoker":"BUTTON#buy.onclick","duration":305.5}]}""",
            rows.Single(row => row.Metric == "INP").Attribution);
        Assert.Equal("""{"target":"img.hero","url":"/hero.jpg","timeToFirstByte":500.5,"resourceLoadDelay":20,"resourceLoadDuration":1400,"elementRenderDelay":79.5}""",
            rows.Single(row => row.Metric == "LCP").Attribution);
        Assert.Equal("""{"serverTiming":[{"name":"db","dur":123,"desc":"queryid=42"},{"name":"cache","desc":"hit"}]}""",
            rows.Single(row => row.Metric == "TTFB").Attribution);
        Assert.Null(rows.Single(row => row.Metric == "FCP").Attribution);
    }

    [Theory]
    [InlineData("LCP", """{"resourceLoadDuration": -5}""", "events[1].attribution.resourceLoadDuration: -5 is out of range")]
    [InlineData("INP", """{"scripts": [{"fn": 5}]}""", "events[1].attribution.scripts[0].fn: a string is expected")]
    [InlineData("TTFB", """{"serverTiming": [{"dur": 123}]}""", "events[1].attribution.serverTiming: every entry needs its name")]
    [InlineData("LCP", """{"url": "/hero\ud800.jpg"}""", "events: a string is not valid text")]
    public async Task ABadDiagnosticsField_RefusesTheBatch_NamingIt_AndStoresNothing(string metric, string attribution, string problem)
    {
        var page = $"/bad-{metric}";
        // Written by hand: the attribution as given, even when it is not text.
        var body = $$"""
            {"key": "{{fixture.ShopKey}}", "events": [{{JsonSerializer.Serialize(Event("FCP", 900, page))}},
              {"name": "{{metric}}", "value": 100, "id": "v5-{{Guid.NewGuid():N}}", "page": "{{page}}", "attribution": {{attribution}}}]}
            """;
        var response = await PostAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(problem, await response.Content.ReadAsStringAsync());
        Assert.Empty(await RowsAsync("shop", page));
    }

    [Fact]
    public async Task AnInstanceSentAgain_KeepsItsHighestNumberedSend_WhateverOrderTheSendsArriveIn()
    {
        var (inp, cls, both, late, retried) = ($"v5-inp-{Guid.NewGuid():N}", $"v5-cls-{Guid.NewGuid():N}", $"v5-both-{Guid.NewGuid():N}", $"v5-late-{Guid.NewGuid():N}", $"v5-retry-{Guid.NewGuid():N}");
        // In order: the second send replaces the first.
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(fixture.ShopKey, Event("INP", 120, "/resent", id: inp), Event("CLS", 0.05, "/resent", id: cls))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(fixture.ShopKey, Event("INP", 360, "/resent", id: inp, report: 2), Event("CLS", 0.3, "/resent", id: cls, report: 2))).StatusCode);
        // Both in one batch, the second first.
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(fixture.ShopKey, Event("INP", 200, "/resent", id: both, report: 2), Event("INP", 80, "/resent", id: both))).StatusCode);
        // Out of order across requests (two beacons of a hiding page): the first send arrives after the third.
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(fixture.ShopKey, Event("INP", 520, "/resent", id: late, report: 3))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(fixture.ShopKey, Event("INP", 90, "/resent", id: late))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(fixture.ShopKey, Event("INP", 300, "/resent", id: late, report: 2))).StatusCode);
        // A retried request (the same send twice) stores it once.
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(fixture.ShopKey, Event("CLS", 0.12, "/resent", id: retried))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(fixture.ShopKey, Event("CLS", 0.12, "/resent", id: retried))).StatusCode);

        var rows = await RowsAsync("shop", "/resent");
        Assert.Equal([("CLS", 0.12, retried), ("CLS", 0.3, cls), ("INP", 200, both), ("INP", 360, inp), ("INP", 520, late)],
            rows.Select(row => (row.Metric, row.Value, row.EventId)));
        var summary = await Store.SummaryAsync("shop", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1), "/resent");
        Assert.Equal(3, summary.Single(metric => metric.Name == "INP").Count); // three page views, not seven

        var lcp = await PostAsync(fixture.ShopKey, Event("LCP", 900, "/resent", report: 2));
        Assert.Equal(HttpStatusCode.BadRequest, lcp.StatusCode);
        Assert.Contains("events[0].report: only INP and CLS instances are sent again as they change; LCP is sent once", await lcp.Content.ReadAsStringAsync());
        var zero = await PostAsync(fixture.ShopKey, Event("INP", 900, "/resent", report: 0));
        Assert.Contains("events[0].report: 0; a whole number from 1 to 10000", await zero.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TwoCopiesOfAnInstance_AsTwoReplicasRacingWouldStoreThem_TheRollupKeepsTheHighestAndCountsItOnce()
    {
        var yesterday = DateOnly.FromDateTime(DateTime.UtcNow.Date.AddDays(-1));
        var at = new DateTimeOffset(yesterday.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.ExecuteAsync("""
            INSERT INTO vitals_apps (id, name, public_key) VALUES ('replicas', 'Replicas', 'pk_replicas');
            INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, page, device, report) VALUES
                ('replicas', @at, 'INP', 120, 120, 'good', 'v5-raced', '/', 'desktop', 1),
                ('replicas', @at + interval '1 second', 'INP', 640, 520, 'poor', 'v5-raced', '/', 'desktop', 2),
                ('replicas', @at, 'INP', 90, 90, 'good', 'v5-alone', '/', 'desktop', 1),
                ('replicas', @at, 'LCP', 1800, 1800, 'good', 'v5-raced', '/', 'desktop', 1)
            """, new { at });

        await Store.RollUpAsync(yesterday);

        Assert.Equal([("INP", 90d, "v5-alone"), ("INP", 640d, "v5-raced"), ("LCP", 1800d, "v5-raced")], (await RowsAsync("replicas", "/")).Select(row => (row.Metric, row.Value, row.EventId)));
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>(
            "SELECT count FROM vitals_daily WHERE app = 'replicas' AND metric = 'INP' AND page = '*' AND device = '*' AND day = @day", new { day = yesterday.ToDateTime(TimeOnly.MinValue) }));
    }

    [Fact]
    public async Task SoftNavigations_AreTheirOwnPageViews_OnlyForAnAppThatOptedIn()
    {
        var refused = await PostAsync(fixture.ShopKey, Event("LCP", 400, "/orders/7", navigationType: "soft-navigation"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("events[0].navigationType: soft navigations are off for the app “shop”", await refused.Content.ReadAsStringAsync());
        Assert.Empty(await RowsAsync("shop", "/orders/:id"));

        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(fixture.SpaKey,
            Event("LCP", 1_800, "/orders"), Event("LCP", 400, "/orders/7", navigationType: "soft-navigation"))).StatusCode);
        Assert.Equal("soft-navigation", (await RowsAsync("spa", "/orders/:id")).Single().NavigationType); // grouped like any path
        Assert.Equal("navigate", (await RowsAsync("spa", "/orders")).Single().NavigationType);
    }

    [Fact]
    public async Task PageBreakdowns_Scripts_AndServerTiming_EqualAComputationOverTheEventsSent()
    {
        const string page = "/diagnosed";
        var random = new Random(30);
        var lcps = Enumerable.Range(0, 57).Select(_ =>
        {
            double[] parts = [Math.Round(random.NextDouble() * 800, 1), Math.Round(random.NextDouble() * 300, 1), Math.Round(random.NextDouble() * 2_000, 1), Math.Round(random.NextDouble() * 200, 1)];
            return (Value: parts.Sum(), Parts: parts, Url: random.Next(3) == 0 ? "/a.jpg" : "/b.jpg");
        }).ToList();
        var inps = Enumerable.Range(0, 23).Select(_ =>
        {
            double[] parts = [Math.Round(random.NextDouble() * 50, 1), Math.Round(random.NextDouble() * 400, 1), Math.Round(random.NextDouble() * 60, 1)];
            return (Value: parts.Sum(), Parts: parts, Script: random.Next(4) == 0 ? null : random.Next(2) == 0 ? "slowHandler" : "render",
                Type: random.Next(3) == 0 ? "keyboard" : "pointer", LoadState: random.Next(2) == 0 ? "complete" : "dom-interactive",
                Target: random.Next(3) == 0 ? "#stop" : "#go");
        }).ToList();
        var ttfbs = Enumerable.Range(0, 31).Select(_ => (Value: Math.Round(200 + random.NextDouble() * 600, 3), Db: Math.Round(random.NextDouble() * 150, 1), Cached: random.Next(3) == 0)).ToList();
        var events = lcps.Select(lcp => Event("LCP", lcp.Value, page, new
            {
                url = lcp.Url, timeToFirstByte = lcp.Parts[0], resourceLoadDelay = lcp.Parts[1], resourceLoadDuration = lcp.Parts[2], elementRenderDelay = lcp.Parts[3],
            }))
            .Concat(inps.Select(inp => Event("INP", inp.Value, page, new
            {
                target = inp.Target, type = inp.Type, loadState = inp.LoadState, inputDelay = inp.Parts[0], processingDuration = inp.Parts[1], presentationDelay = inp.Parts[2],
                scripts = inp.Script is null ? [] : new[] { new { fn = inp.Script, url = "/app.js", duration = inp.Parts[1] } },
            })))
            .Concat(ttfbs.Select(ttfb => Event("TTFB", ttfb.Value, page, new
            {
                serverTiming = ttfb.Cached ? new object[] { new { name = "db", dur = ttfb.Db }, new { name = "cache", desc = "hit" } } : [new { name = "db", dur = ttfb.Db }],
            })))
            .Append(Event("LCP", 9_000, page)) // an old snippet's view: counted in the views, not in the parts
            .ToList();
        foreach (var batch in events.Chunk(50))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(fixture.ShopKey, [.. batch])).StatusCode);
        }

        var diagnostics = await Store.DiagnosticsAsync("shop", page, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1));

        void AssertBreakdown(Breakdown? actual, List<(double Value, double[] Parts, string? Behind)> views, long allViews)
        {
            var p75 = Expected.PercentileCont(views.Select(view => view.Value), 0.75);
            var near = views.OrderBy(view => Math.Abs(view.Value - p75)).ThenBy(view => view.Value).Take(Math.Max(1, views.Count / 10)).ToList();
            Assert.NotNull(actual);
            Assert.Equal((allViews, views.Count, near.Count), (actual.Views, actual.Measured, actual.Near));
            Assert.Equal(p75, actual.P75, 6);
            Assert.Equal(near.Average(view => view.Value), actual.NearValue, 6);
            for (var part = 0; part < actual.Parts.Count; part++)
            {
                Assert.Equal(near.Average(view => view.Parts[part]), actual.Parts[part].Milliseconds, 6);
            }
            var behind = near.Where(view => view.Behind is not null).GroupBy(view => view.Behind).OrderByDescending(group => group.Count()).ThenBy(group => group.Key, StringComparer.Ordinal).First();
            Assert.Equal(behind.Key, actual.Behind);
        }
        AssertBreakdown(diagnostics.Lcp, [.. lcps.Select(lcp => (lcp.Value, lcp.Parts, (string?)lcp.Url))], lcps.Count + 1);
        AssertBreakdown(diagnostics.Inp, [.. inps.Select(inp => (inp.Value, inp.Parts, inp.Script is null ? inp.Target : $"{inp.Script} · /app.js"))], inps.Count);
        // What kind of interaction, and in which load state, the views near the INP's p75 mostly were.
        var inpP75 = Expected.PercentileCont(inps.Select(inp => inp.Value), 0.75);
        var nearInp = inps.OrderBy(inp => Math.Abs(inp.Value - inpP75)).ThenBy(inp => inp.Value).Take(Math.Max(1, inps.Count / 10)).ToList();
        string Mode(IEnumerable<string> values) => values.GroupBy(value => value).OrderByDescending(group => group.Count()).ThenBy(group => group.Key, StringComparer.Ordinal).First().Key;
        Assert.Equal((Mode(nearInp.Select(inp => inp.Type)), Mode(nearInp.Select(inp => inp.LoadState))), (diagnostics.Inp!.Type, diagnostics.Inp.LoadState));

        // The page's INP targets: how often each was the slow interaction (its share of the page's INP views) and its p75.
        var targets = (await Store.PageDetailAsync("shop", page, "INP", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1))).Targets;
        var expectedTargets = inps.GroupBy(inp => inp.Target).OrderByDescending(group => group.Count()).ThenBy(group => group.Key, StringComparer.Ordinal)
            .Select(group => (group.Key, (long)group.Count(), (double)group.Count() / inps.Count, Expected.PercentileCont(group.Select(inp => inp.Value), 0.75))).ToList();
        Assert.Equal(expectedTargets.Select(target => (target.Key, target.Item2)), targets.Select(target => (target.Group, target.Count)));
        for (var index = 0; index < targets.Count; index++)
        {
            Assert.Equal(expectedTargets[index].Item3, targets[index].Share!.Value, 9);
            Assert.Equal(expectedTargets[index].Item4, targets[index].P75, 6);
        }

        // Scripts: in how many interactions each ran, its median and total time.
        var scripts = inps.Where(inp => inp.Script is not null).GroupBy(inp => inp.Script!)
            .Select(group => (Function: group.Key, Interactions: (long)group.Count(), Share: (double)group.Count() / inps.Count, Median: Expected.PercentileCont(group.Select(inp => inp.Parts[1]), 0.5)))
            .OrderByDescending(script => script.Interactions).ToList();
        Assert.Equal(scripts.Select(script => (script.Function, script.Interactions)), diagnostics.Scripts.Select(script => (script.Function!, script.Interactions)));
        for (var index = 0; index < scripts.Count; index++)
        {
            Assert.Equal(scripts[index].Share, diagnostics.Scripts[index].Share, 9);
            Assert.Equal(scripts[index].Median, diagnostics.Scripts[index].MedianMs, 6);
        }

        // Server-Timing: each metric's p75 beside the TTFB p75 of the page loads that sent it.
        var db = diagnostics.ServerTimings.Single(timing => timing.Name == "db");
        Assert.Equal(31L, db.Views);
        Assert.Equal(Expected.PercentileCont(ttfbs.Select(ttfb => ttfb.Db), 0.75), db.P75!.Value, 6);
        Assert.Equal(Expected.PercentileCont(ttfbs.Select(ttfb => ttfb.Value), 0.75), db.TtfbP75, 6);
        var cache = diagnostics.ServerTimings.Single(timing => timing.Name == "cache");
        Assert.Equal((ttfbs.Count(ttfb => ttfb.Cached), (double?)null, "hit"), (cache.Views, cache.P75, cache.Description)); // a flag: no duration
        Assert.Equal(Expected.PercentileCont(ttfbs.Select(ttfb => ttfb.Value), 0.75), diagnostics.TtfbP75!.Value, 6);
    }

    [Fact]
    public async Task TheReportsOpportunity_NamesTheDominantPart_AndWhatIsBehindIt()
    {
        var report = await fixture.App.Services.GetRequiredService<BaselineReportBuilder>().BuildAsync(new ReportScope(["weekly"], [], []), Week);

        var lcp = report.Opportunities.Single(opportunity => opportunity.Title.StartsWith("LCP p75 of /checkout", StringComparison.Ordinal));
        Assert.Equal("LCP p75 of /checkout (weekly) is 3.28 s, over 2.5 s — LCP of /checkout: 75.76 % is resource load duration of /img/hero.jpg", lcp.Title);
        Assert.Equal("A smaller LCP resource: compress, resize, a modern format.", lcp.NextStep);
    }
}
