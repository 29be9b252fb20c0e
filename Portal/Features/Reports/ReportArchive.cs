using System.Text.Json;
using Dapper;
using Npgsql;

namespace Portal.Features.Reports;

/// <summary>A report as the archive lists it.</summary>
public sealed record ArchivedReport
{
    public long Id { get; init; }
    public string Kind { get; init; } = "";
    public string ScopeLabel { get; init; } = "";
    public DateTimeOffset PeriodStart { get; init; }
    public DateTimeOffset PeriodEnd { get; init; }
    public string TimeZone { get; init; } = "";
    public string Subject { get; init; } = "";
    public string Health { get; init; } = "";
    public double? Score { get; init; }
    public DateTimeOffset GeneratedAt { get; init; }
    public string GeneratedBy { get; init; } = "";
}

/// <summary>The <c>reports</c> table: every generated report with its data and HTML.</summary>
public sealed class ReportArchive(NpgsqlDataSource dataSource)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string Columns = """
        id AS "Id", kind AS "Kind", scope_label AS "ScopeLabel", period_start AS "PeriodStart", period_end AS "PeriodEnd", time_zone AS "TimeZone",
        subject AS "Subject", health AS "Health", score AS "Score", generated_at AS "GeneratedAt", generated_by AS "GeneratedBy"
        """;

    public async Task<long> SaveAsync(BaselineReport report, string html, string generatedBy, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO reports (kind, scope, scope_label, period_start, period_end, time_zone, subject, health, score, generated_at, generated_by, data, html)
            VALUES (@Kind, @Scope::jsonb, @ScopeLabel, @Start, @End, @TimeZone, @Subject, @Health, @Score, @GeneratedAt, @generatedBy, @Data::jsonb, @html)
            RETURNING id
            """, new
        {
            report.Period.Kind, Scope = JsonSerializer.Serialize(report.Scope, Json), report.ScopeLabel, report.Period.Start, report.Period.End, report.Period.TimeZone,
            report.Subject, report.Health, report.Score, report.GeneratedAt, generatedBy, Data = JsonSerializer.Serialize(report, Json), html,
        }, cancellationToken: cancellationToken));
    }

    /// <summary>The newest first.</summary>
    public async Task<IReadOnlyList<ArchivedReport>> ListAsync(int limit = 200, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ArchivedReport>(new CommandDefinition(
            $"SELECT {Columns} FROM reports ORDER BY generated_at DESC, id DESC LIMIT @limit", new { limit }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<(ArchivedReport Report, string DataJson, string Html)?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<(long Id, string Data, string Html)>(new CommandDefinition(
            "SELECT id, data::text, html FROM reports WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        if (row.Id == 0)
        {
            return null;
        }
        var listed = await connection.QuerySingleAsync<ArchivedReport>(new CommandDefinition($"SELECT {Columns} FROM reports WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return (listed, row.Data, row.Html);
    }

    public static BaselineReport Read(string dataJson) => JsonSerializer.Deserialize<BaselineReport>(dataJson, Json)!;

    /// <summary>The report of the same scope and kind for the period before, if it was generated: what "compare" opens.</summary>
    public async Task<long?> PreviousAsync(ArchivedReport report, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            SELECT id FROM reports WHERE scope_label = @ScopeLabel AND kind = @Kind AND period_end = @PeriodStart ORDER BY generated_at DESC LIMIT 1
            """, report, cancellationToken: cancellationToken));
    }
}
