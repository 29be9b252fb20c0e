using Portal.Features.Auth;
using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Npgsql;
using Portal.Features.Audit;

namespace Portal.Features.Alerts;

/// <summary>A silence: alerts whose labels (with <c>alertname</c> and <c>severity</c>) match all its matchers are not notified while it lasts.</summary>
public sealed record Silence(long Id, IReadOnlyDictionary<string, string> Matchers, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string CreatedBy, string Comment, DateTimeOffset CreatedAt)
{
    /// <summary>A recurring silence: in force only within these named time intervals of <c>alerts.yaml</c> (none: all the time).</summary>
    public IReadOnlyList<string> TimeIntervals { get; init; } = [];

    public bool ActiveAt(DateTimeOffset now) => StartsAt <= now && now < EndsAt;

    public bool Matches(AlertInstance alert) => Matchers.All(matcher => LabelsOf(alert).TryGetValue(matcher.Key, out var value) && value == matcher.Value);

    /// <summary>The labels a matcher sees: the alert's own, its rule's name as <c>alertname</c>, and its severity.</summary>
    public static IReadOnlyDictionary<string, string> LabelsOf(AlertInstance alert) =>
        new Dictionary<string, string>(alert.Labels) { ["alertname"] = alert.RuleName, ["severity"] = alert.Severity };
}

/// <summary>What mutes a firing alert's notifications: an active silence, or (inhibition) a firing critical alert of the same objective over a warning.</summary>
public static class Muting
{
    public static bool IsSilenced(AlertInstance alert, IEnumerable<Silence> silences, DateTimeOffset now) =>
        silences.Any(silence => silence.ActiveAt(now) && silence.Matches(alert));

    /// <summary>A warning (or ticket) is inhibited while a critical (or page) alert of the same objective fires.</summary>
    public static bool IsInhibited(AlertInstance alert, IEnumerable<AlertInstance> firing) =>
        alert.Severity is AlertSeverities.Warning or AlertSeverities.Ticket
        && alert.Labels.GetValueOrDefault("objective") is { } objective
        && firing.Any(other => other.Severity is AlertSeverities.Critical or AlertSeverities.Page && other.Labels.GetValueOrDefault("objective") == objective);
}

/// <summary>The <c>alert_silences</c> table; creating one is audited.</summary>
public sealed class SilenceStore(NpgsqlDataSource dataSource, AuditLog audit)
{
    /// <summary>Silences still in force or ended within <paramref name="keepEndedFor"/>, newest first.</summary>
    public async Task<IReadOnlyList<Silence>> ListAsync(TimeSpan? keepEndedFor = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string Matchers, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string CreatedBy, string Comment, DateTimeOffset CreatedAt, string[] TimeIntervals)>(
            new CommandDefinition("""
                SELECT id, matchers::text, starts_at, ends_at, created_by, comment, created_at, time_intervals FROM alert_silences
                WHERE ends_at > now() - @keep ORDER BY created_at DESC
                """, new { keep = keepEndedFor ?? TimeSpan.FromDays(30) }, cancellationToken: cancellationToken));
        return rows.Select(row => new Silence(row.Id, JsonSerializer.Deserialize<Dictionary<string, string>>(row.Matchers)!, row.StartsAt, row.EndsAt, row.CreatedBy, row.Comment, row.CreatedAt)
        {
            TimeIntervals = row.TimeIntervals,
        }).ToList();
    }

    public async Task<Silence> CreateAsync(ClaimsPrincipal actor, IReadOnlyDictionary<string, string> matchers, DateTimeOffset startsAt, DateTimeOffset endsAt, string comment,
        IReadOnlyList<string>? timeIntervals = null, CancellationToken cancellationToken = default)
    {
        PortalRoles.Demand(actor, PortalRoles.Admin, "create a silence");
        var createdBy = AuditLog.ActorOf(actor);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO alert_silences (matchers, starts_at, ends_at, created_by, comment, time_intervals)
            VALUES (@matchers::jsonb, @startsAt, @endsAt, @createdBy, @comment, @intervals) RETURNING id
            """, new { matchers = JsonSerializer.Serialize(matchers), startsAt, endsAt, createdBy, comment, intervals = (timeIntervals ?? []).ToArray() }, cancellationToken: cancellationToken));
        await audit.RecordAsync(createdBy, "silence.create", $"silence {id}", null, new { matchers, startsAt, endsAt, comment, timeIntervals }, cancellationToken);
        return new Silence(id, matchers, startsAt, endsAt, createdBy, comment, DateTimeOffset.UtcNow) { TimeIntervals = timeIntervals ?? [] };
    }
}
