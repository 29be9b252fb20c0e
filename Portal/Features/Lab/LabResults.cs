using System.IO.Compression;
using System.Text.Json;
using Dapper;
using Npgsql;

namespace Portal.Features.Lab;

/// <summary>A stored Lighthouse run: which page of which service, how it was run, and what Lighthouse found.</summary>
public sealed record LighthouseRun(long Id, string Service, string Page, string Source, LighthouseResult Result, bool HasReport);

/// <summary>A stored load-test run of a service's scenario.</summary>
public sealed record LoadTestRecord(long Id, string Service, string Scenario, DateTimeOffset RecordedAt, LoadTestRun Run);

/// <summary>Where a lab result came from: the lab-checks job, on schedule or asked for, or CI through the API.</summary>
public static class LabSources
{
    public const string Scheduled = "scheduled";
    public const string Api = "api";
}

/// <summary>
/// The <c>lab_lighthouse_runs</c> and <c>lab_load_tests</c> tables: written by the lab-checks job and the lab API,
/// read by the Lab and Load tests pages, the lighthouse SLI and alert source, and the report.
/// </summary>
public sealed class LabResults(NpgsqlDataSource dataSource)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<long> RecordLighthouseAsync(string service, string page, string source, LighthouseResult result, JsonElement report, CancellationToken cancellationToken = default)
    {
        const string sql = """
            INSERT INTO lab_lighthouse_runs (service, page, profile, url, source, fetched_at, lighthouse, performance, accessibility, best_practices, seo,
                                             lcp_ms, tbt_ms, cls, fcp_ms, speed_index_ms, runtime_error, failing, report)
            VALUES (@service, @page, @Profile, @FinalUrl, @source, @FetchedAt, @LighthouseVersion, @Performance, @Accessibility, @BestPractices, @Seo,
                    @LcpMs, @TbtMs, @Cls, @FcpMs, @SpeedIndexMs, @RuntimeError, @failing::jsonb, @report)
            RETURNING id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, new
        {
            service, page, source, result.Profile, result.FinalUrl, result.FetchedAt, result.LighthouseVersion, result.Performance, result.Accessibility,
            result.BestPractices, result.Seo, result.LcpMs, result.TbtMs, result.Cls, result.FcpMs, result.SpeedIndexMs, result.RuntimeError,
            failing = JsonSerializer.Serialize(result.Failing, Json), report = Gzip(JsonSerializer.SerializeToUtf8Bytes(report)),
        }, cancellationToken: cancellationToken));
    }

    private const string LighthouseColumns = """
        id, service, page, source, url, profile, fetched_at, lighthouse, performance, accessibility, best_practices, seo,
        lcp_ms, tbt_ms, cls, fcp_ms, speed_index_ms, runtime_error, failing::text AS failing, report IS NOT NULL AS has_report
        """;

    /// <summary>Every Lighthouse run fetched in [from, to), oldest first; one service's when named.</summary>
    public async Task<IReadOnlyList<LighthouseRun>> LighthouseRunsAsync(DateTimeOffset from, DateTimeOffset to, string? service = null, CancellationToken cancellationToken = default)
    {
        var sql = $"""
            SELECT {LighthouseColumns} FROM lab_lighthouse_runs
            WHERE fetched_at >= @from AND fetched_at < @to AND (@service::text IS NULL OR service = @service)
            ORDER BY fetched_at, id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<LighthouseRow>(new CommandDefinition(sql, new { from, to, service }, cancellationToken: cancellationToken))).Select(ToRun).ToList();
    }

    /// <summary>The last run of each page and profile at or before <paramref name="at"/> (one service's when named).</summary>
    public async Task<IReadOnlyList<LighthouseRun>> LatestLighthouseAsync(DateTimeOffset at, string? service = null, CancellationToken cancellationToken = default)
    {
        var sql = $"""
            SELECT DISTINCT ON (service, page, profile) {LighthouseColumns} FROM lab_lighthouse_runs
            WHERE fetched_at <= @at AND (@service::text IS NULL OR service = @service)
            ORDER BY service, page, profile, fetched_at DESC, id DESC
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<LighthouseRow>(new CommandDefinition(sql, new { at, service }, cancellationToken: cancellationToken))).Select(ToRun).ToList();
    }

    public async Task<LighthouseRun?> LighthouseRunAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<LighthouseRow>(new CommandDefinition(
            $"SELECT {LighthouseColumns} FROM lab_lighthouse_runs WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? null : ToRun(row);
    }

    /// <summary>The run's full Lighthouse report (its JSON, as Lighthouse wrote it), gzip-compressed; null once pruned.</summary>
    public async Task<byte[]?> LighthouseReportAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<byte[]?>(new CommandDefinition(
            "SELECT report FROM lab_lighthouse_runs WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>Drops the full reports of runs fetched before <paramref name="before"/> (their scores and metrics stay).</summary>
    public async Task<int> PruneReportsAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE lab_lighthouse_runs SET report = NULL WHERE fetched_at < @before AND report IS NOT NULL", new { before }, cancellationToken: cancellationToken));
    }

    public async Task<long> RecordLoadTestAsync(string service, string scenario, LoadTestRun run, JsonElement summary, CancellationToken cancellationToken = default)
    {
        const string sql = """
            INSERT INTO lab_load_tests (service, scenario, tool, started_at, duration_s, users, requests, errors, throughput, percentiles, thresholds, summary)
            VALUES (@service, @scenario, @Tool, @StartedAt, @DurationSeconds, @Users, @Requests, @Errors, @Throughput, @percentiles::jsonb, @thresholds::jsonb, @summary)
            RETURNING id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, new
        {
            service, scenario, run.Tool, run.StartedAt, run.DurationSeconds, run.Users, run.Requests, run.Errors, run.Throughput,
            percentiles = JsonSerializer.Serialize(run.Percentiles), thresholds = JsonSerializer.Serialize(run.Thresholds),
            summary = Gzip(JsonSerializer.SerializeToUtf8Bytes(summary)),
        }, cancellationToken: cancellationToken));
    }

    /// <summary>The load tests started in [from, to), oldest first; one service's (and scenario's) when named.</summary>
    public async Task<IReadOnlyList<LoadTestRecord>> LoadTestsAsync(DateTimeOffset from, DateTimeOffset to, string? service = null, string? scenario = null,
        CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT id, service, scenario, recorded_at, tool, started_at, duration_s, users, requests, errors, throughput,
                   percentiles::text AS percentiles, thresholds::text AS thresholds
            FROM lab_load_tests
            WHERE started_at >= @from AND started_at < @to AND (@service::text IS NULL OR service = @service) AND (@scenario::text IS NULL OR scenario = @scenario)
            ORDER BY started_at, id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<LoadTestRow>(new CommandDefinition(sql, new { from, to, service, scenario }, cancellationToken: cancellationToken)))
            .Select(row => new LoadTestRecord(row.id, row.service, row.scenario, row.recorded_at, new LoadTestRun(
                row.tool, row.started_at, row.duration_s, row.users, row.requests, row.errors, row.throughput,
                JsonSerializer.Deserialize<Dictionary<string, double>>(row.percentiles)!, JsonSerializer.Deserialize<Dictionary<string, bool>>(row.thresholds)!)))
            .ToList();
    }

    /// <summary>A load test's summary as it was posted (JSON), or null for an unknown id.</summary>
    public async Task<byte[]?> LoadTestSummaryAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<byte[]?>(new CommandDefinition(
            "SELECT summary FROM lab_load_tests WHERE id = @id", new { id }, cancellationToken: cancellationToken)) is { } gzip ? Gunzip(gzip) : null;
    }

    public static byte[] Gunzip(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(bytes);
        }
        return output.ToArray();
    }

    private static LighthouseRun ToRun(LighthouseRow row) => new(row.id, row.service, row.page, row.source, new LighthouseResult(
        row.url, row.url, row.profile, row.fetched_at, row.lighthouse, row.performance, row.accessibility, row.best_practices, row.seo,
        row.lcp_ms, row.tbt_ms, row.cls, row.fcp_ms, row.speed_index_ms, row.runtime_error,
        JsonSerializer.Deserialize<List<FailingAudit>>(row.failing, Json) ?? []), row.has_report);

#pragma warning disable IDE1006, CA1812 // Dapper's rows, named as the columns
    private sealed record LighthouseRow(
        long id, string service, string page, string source, string url, string profile, DateTimeOffset fetched_at, string lighthouse,
        double? performance, double? accessibility, double? best_practices, double? seo, double? lcp_ms, double? tbt_ms, double? cls, double? fcp_ms,
        double? speed_index_ms, string? runtime_error, string failing, bool has_report);

    private sealed record LoadTestRow(
        long id, string service, string scenario, DateTimeOffset recorded_at, string tool, DateTimeOffset started_at, double duration_s, int users,
        long requests, long errors, double throughput, string percentiles, string thresholds);
#pragma warning restore IDE1006, CA1812
}
