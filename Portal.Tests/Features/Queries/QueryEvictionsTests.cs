using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Queries;
using Portal.Features.Reports;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>
/// A target whose pg_stat_statements is too small for its workload (<c>pg_stat_statements.max = 100</c>, the lowest
/// PostgreSQL allows): hundreds of distinct statements make it drop its least-run entries again and again. What the
/// portal says of a window is compared with <c>pg_stat_statements_info.dealloc</c>, read on the target by the test.
/// </summary>
public sealed partial class QueryEvictionsTests : IAsyncLifetime
{
    private const int StatementsMax = 100;

    private SecondCluster cluster = null!;
    private TestDatabase database = null!;
    private PortalApp app = null!;

    public async Task InitializeAsync()
    {
        cluster = await SecondCluster.StartAsync($"pg_stat_statements.max={StatementsMax}");
        database = await TestDatabase.CreateAsync();
        var settings = PortalSettings.For(database);
        settings["Queries:Targets:small:ConnectionString"] = cluster.Monitor;
        app = new PortalApp(settings).Start();
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
        await cluster.DisposeAsync();
    }

    /// <summary>Statements pg_stat_statements tells apart (one more column each), run once each by the application.</summary>
    private Task FloodAsync(int first, int count) => SecondCluster.ExecuteAsync(cluster.ConnectionString("shop", SecondCluster.AppPassword),
        [.. Enumerable.Range(first, count).Select(columns => "SELECT " + string.Join(", ", Enumerable.Repeat("1", columns)))]);

    private async Task<long> DeallocAsync()
    {
        await using var connection = new NpgsqlConnection(cluster.Superuser());
        return await connection.ExecuteScalarAsync<long>("SELECT dealloc FROM pg_stat_statements_info");
    }

    /// <summary>
    /// A snapshot, with the target's count read just before and just after it: the snapshot's own reading lies between
    /// (its statements, dropped by a flood, may make room again when they come back).
    /// </summary>
    private async Task<(QuerySnapshot Snapshot, long Before, long After)> SnapshotAsync()
    {
        var before = await DeallocAsync();
        var snapshot = await app.Services.GetRequiredService<QuerySnapshots>().TakeAsync("small");
        return (snapshot, before, await DeallocAsync());
    }

    private Task<TargetStatus> CheckAsync() =>
        app.Services.GetRequiredService<TargetCheck>().RunAsync(app.Services.GetRequiredService<QueryTargets>().Find("small")!);

    private async Task<long> HeldAsync()
    {
        await using var connection = new NpgsqlConnection(cluster.Superuser());
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_statements");
    }

    [GeneratedRegex(@"holds ([\d,]+) of its")]
    private static partial Regex HeldCount();

    private Task<TopQueries> TopAsync(DateTimeOffset from, DateTimeOffset to) =>
        app.Services.GetRequiredService<QueryStatistics>().TopAsync(new TopQueriesRequest("small", from, to) { InScope = false });

    [Fact]
    public async Task StatementsDropped_CountedPerWindow_FromTheLastResetOn_AndThePageAndApiSayWhatToRaise()
    {
        await SnapshotAsync();
        await FloodAsync(1, 5);
        var baseline = await SnapshotAsync();
        Assert.Equal(baseline.Before, baseline.After);
        using var developer = await app.SignedInClientAsync(PortalRoles.Developer);
        // Room to spare: no warning.
        var quiet = await developer.GetStringAsync(new Uri("/queries?target=small&range=1h&scope=all", UriKind.Relative));
        Assert.Contains("data-testid=\"queries\"", quiet, StringComparison.Ordinal);
        Assert.DoesNotContain("data-testid=\"evictions\"", quiet, StringComparison.Ordinal);
        Assert.DoesNotContain((await CheckAsync()).Problems, problem => problem.What.StartsWith("pg_stat_statements holds", StringComparison.Ordinal));

        await FloodAsync(6, 400);
        var flooded = await SnapshotAsync();
        // Full: the target's check says so, with the count of statements held as the target counts them.
        var heldBefore = await HeldAsync();
        var full = Assert.Single((await CheckAsync()).Problems, problem => problem.What.StartsWith("pg_stat_statements holds", StringComparison.Ordinal));
        var heldAfter = await HeldAsync();
        var held = long.Parse(HeldCount().Match(full.What).Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.InRange(held, Math.Min(heldBefore, heldAfter) - 10, Math.Max(heldBefore, heldAfter)); // room is made 10 entries at a time
        Assert.True(held >= StatementsMax * TargetCheck.CapacityWarning, full.What);
        Assert.Contains($"of its {StatementsMax:N0} statements and has made room", full.What, StringComparison.Ordinal);
        Assert.Equal($"Raise pg_stat_statements.max in postgresql.conf (to {2 * StatementsMax:N0}, say) and restart PostgreSQL: full, it drops the least-run 5 % " +
            "of its statements, with what they did since the portal's last snapshot.", full.Fix);
        Assert.False(full.Blocker);
        // The administrator empties the statistics, and the workload goes on.
        await SecondCluster.ExecuteAsync(cluster.Superuser(), "SELECT pg_stat_statements_reset()");
        var afterReset = await DeallocAsync();
        await FloodAsync(406, 300);
        var again = await SnapshotAsync();
        Assert.True(again.Snapshot.ResetDetected);

        // Between two snapshots: the target's count at the second less that at the first — bracketed by the test's readings.
        var first = (await TopAsync(baseline.Snapshot.TakenAt, flooded.Snapshot.TakenAt)).Evictions;
        Assert.InRange(first.Count, flooded.Before - baseline.After, flooded.After - baseline.Before);
        Assert.True(first.Count >= 20, $"{first.Count} evictions for 400 statements in a store of {StatementsMax}");
        Assert.Equal(StatementsMax, first.StatementsMax);
        Assert.Equal(first.Count, flooded.Snapshot.Evictions); // what the snapshot job's summary reports
        // Across a reset: the count starts again from zero, so the second interval's is the target's count after it.
        var second = (await TopAsync(flooded.Snapshot.TakenAt, again.Snapshot.TakenAt)).Evictions;
        Assert.InRange(second.Count, again.Before - afterReset, again.After);
        Assert.True(second.Count >= 15, $"{second.Count} evictions for 300 statements after the reset");
        Assert.Equal(second.Count, again.Snapshot.Evictions);
        // A window over both adds them up; one before any eviction shows none.
        Assert.Equal(first.Count + second.Count, (await TopAsync(baseline.Snapshot.TakenAt, again.Snapshot.TakenAt)).Evictions.Count);
        Assert.Equal(0, (await TopAsync(baseline.Snapshot.TakenAt.AddHours(-1), baseline.Snapshot.TakenAt)).Evictions.Count);

        using (var answer = JsonDocument.Parse(await developer.GetStringAsync(new Uri("/api/v1/queries?target=small&window=1h&scope=all", UriKind.Relative))))
        {
            var evictions = answer.RootElement.GetProperty("evictions");
            Assert.Equal(first.Count + second.Count, evictions.GetProperty("count").GetInt64());
            Assert.Equal(StatementsMax, evictions.GetProperty("statementsMax").GetInt32());
        }
        // The weekly report's finding, over a period covering both.
        var report = await app.Services.GetRequiredService<BaselineReportBuilder>().BuildAsync(new ReportScope(["none"], ["none"], ["small"]),
            new ReportPeriod(ReportSchedules.Daily, baseline.Snapshot.TakenAt.AddMinutes(-1), again.Snapshot.TakenAt.AddMinutes(1), "UTC"));
        var finding = Assert.Single(report.Findings, finding => finding.Kind == "statistics");
        Assert.Equal($"pg_stat_statements made room {first.Count + second.Count:N0} times on small", finding.Title);
        Assert.Equal($"Room for {StatementsMax:N0} statements; full, it drops the least-run 5 % of its statements, with what they did since the portal's " +
            "last snapshot. Rarely run statements are missing or undercounted here: raise pg_stat_statements.max on the target (a restart applies it).", finding.Detail);
        Assert.Equal("/queries?target=small", finding.Link);

        var page = WebUtility.HtmlDecode(await developer.GetStringAsync(new Uri("/queries?target=small&range=1h", UriKind.Relative)));
        Assert.Contains($"pg_stat_statements made room {first.Count + second.Count:N0} times in this window", page, StringComparison.Ordinal);
        Assert.Contains($"(room for {StatementsMax:N0} statements) — full, it drops the least-run 5 %", page, StringComparison.Ordinal);
        Assert.Contains("raise pg_stat_statements.max on the target (a restart applies it)", page, StringComparison.Ordinal);
    }
}
