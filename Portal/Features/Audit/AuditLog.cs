using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Npgsql;
using Portal.Features.Auth;

namespace Portal.Features.Audit;

/// <summary>One administrative action. <see cref="Before"/> and <see cref="After"/> are JSON (no secrets ever).</summary>
public sealed record AuditEntry
{
    public required long Id { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string Actor { get; init; }
    public required string Action { get; init; }
    public required string Subject { get; init; }
    public string? Before { get; init; }
    public string? After { get; init; }

    /// <summary>The client address of the request that acted (the one a trusted proxy forwards); null for the worker.</summary>
    public string? ClientAddress { get; init; }
}

/// <summary>Filters of the audit page and API; every field optional.</summary>
public sealed record AuditQuery(string? Actor = null, string? Action = null, string? Text = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null);

public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, int Total);

/// <summary>The <c>audit_log</c> table: who did what to what, with the state before and after.</summary>
public sealed class AuditLog(NpgsqlDataSource dataSource, IHttpContextAccessor httpContext)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public const string System = "system";

    /// <summary>The name an action is recorded under: the login, and the token's name when a script acted.</summary>
    public static string ActorOf(ClaimsPrincipal user) =>
        user.FindFirstValue(PortalClaims.TokenName) is { } token ? $"{user.Identity?.Name} (token {token})" : user.Identity?.Name ?? "anonymous";

    public async Task RecordAsync(string actor, string action, string subject, object? before, object? after, CancellationToken cancellationToken = default)
    {
        const string sql = """
            INSERT INTO audit_log (actor, action, subject, before, after, client_address)
            VALUES (@actor, @action, @subject, @before::jsonb, @after::jsonb, @clientAddress::inet)
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            actor,
            action,
            subject,
            before = before is null ? null : JsonSerializer.Serialize(before, Json),
            after = after is null ? null : JsonSerializer.Serialize(after, Json),
            // The request acting now: an API call, a form post, or the connection of the page's circuit. Forwarded
            // headers have already replaced the proxy's address with the client's when the proxy is trusted.
            clientAddress = httpContext.HttpContext?.Connection.RemoteIpAddress is { } address
                ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString()
                : null,
        }, cancellationToken: cancellationToken));
    }

    public async Task<AuditPage> QueryAsync(AuditQuery query, int offset, int limit, CancellationToken cancellationToken = default)
    {
        const string where = """
            WHERE (@Actor::text IS NULL OR actor ILIKE '%' || @Actor || '%')
              AND (@Action::text IS NULL OR action = @Action)
              AND (@Text::text IS NULL OR subject ILIKE '%' || @Text || '%' OR before::text ILIKE '%' || @Text || '%' OR after::text ILIKE '%' || @Text || '%')
              AND (@Since::timestamptz IS NULL OR at >= @Since)
              AND (@Until::timestamptz IS NULL OR at < @Until)
            """;
        const string sql = $"""
            SELECT id AS "Id", at AS "At", actor AS "Actor", action AS "Action", subject AS "Subject",
                   before::text AS "Before", after::text AS "After", host(client_address) AS "ClientAddress"
            FROM audit_log {where}
            ORDER BY at DESC, id DESC
            OFFSET @offset LIMIT @limit;
            SELECT count(*)::int FROM audit_log {where};
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var parameters = new DynamicParameters(query);
        parameters.Add("offset", offset);
        parameters.Add("limit", limit);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        var entries = (await results.ReadAsync<AuditEntry>()).AsList();
        var total = await results.ReadSingleAsync<int>();
        return new AuditPage(entries, total);
    }

    /// <summary>The distinct actions recorded so far, for the filter's drop-down.</summary>
    public async Task<IReadOnlyList<string>> ActionsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT action FROM audit_log ORDER BY action", cancellationToken: cancellationToken))).AsList();
    }
}
