using Portal.Features.Auth;
using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using Portal.Features.Audit;

namespace Portal.Features.Queries;

/// <summary>A session of the target server as pg_stat_activity shows it, and the sessions it blocks.</summary>
public sealed record Session
{
    public int Pid { get; init; }
    public string? User { get; init; }
    public string? Database { get; init; }
    public string? Application { get; init; }
    public string? ClientAddress { get; init; }
    public string? State { get; init; }
    public double? RunningSeconds { get; init; }
    public string? WaitEvent { get; init; }
    public string? Query { get; init; }
    public int[] BlockedBy { get; init; } = [];
    public IReadOnlyList<Session> Blocking { get; init; } = [];
}

public sealed record ConnectionCount(string State, int Count);

/// <summary>What runs on the target server now.</summary>
public sealed record ActivityReport(IReadOnlyList<ConnectionCount> Connections, int MaxConnections, IReadOnlyList<Session> LongRunning, IReadOnlyList<Session> BlockingTrees);

public enum CancelOutcome
{
    Cancelled,
    NotPermitted,
}

/// <summary>Live activity of a target (pg_stat_activity, pg_blocking_pids) and the audited cancel of a running query.</summary>
public sealed class LiveActivity(QueryTargets targets, AuditLog audit, IOptions<QueryOptions> options)
{
    private const string Sessions = """
        SELECT pid AS "Pid", usename AS "User", datname AS "Database", application_name AS "Application", client_addr::text AS "ClientAddress",
               state AS "State", extract(epoch FROM now() - query_start)::float8 AS "RunningSeconds",
               nullif(concat_ws(': ', wait_event_type, wait_event), '') AS "WaitEvent", left(query, 4000) AS "Query",
               pg_blocking_pids(pid) AS "BlockedBy"
        FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
        """;

    public async Task<ActivityReport> ReadAsync(string target, CancellationToken cancellationToken = default)
    {
        await using var connection = await targets.OpenAsync(target, cancellationToken);
        var connections = (await connection.QueryAsync<ConnectionCount>(new CommandDefinition("""
            SELECT coalesce(state, 'unknown') AS "State", count(*)::int AS "Count"
            FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1 ORDER BY 2 DESC
            """, cancellationToken: cancellationToken))).AsList();
        var maxConnections = await connection.QuerySingleAsync<int>(new CommandDefinition("SELECT current_setting('max_connections')::int", cancellationToken: cancellationToken));
        var sessions = (await connection.QueryAsync<Session>(new CommandDefinition(Sessions, cancellationToken: cancellationToken))).AsList();

        var longRunning = sessions
            .Where(session => session.State is not null and not "idle" && session.RunningSeconds >= options.Value.LongRunningSeconds)
            .OrderByDescending(session => session.RunningSeconds)
            .ToList();
        return new ActivityReport(connections, maxConnections, longRunning, BlockingTrees(sessions));
    }

    /// <summary>Blocked sessions under the sessions blocking them; the roots block others and wait for no one.</summary>
    public static IReadOnlyList<Session> BlockingTrees(IReadOnlyList<Session> sessions)
    {
        var byPid = sessions.ToDictionary(session => session.Pid);
        var blockers = sessions.SelectMany(session => session.BlockedBy).ToHashSet();

        Session Tree(Session session, HashSet<int> path) => session with
        {
            Blocking = sessions
                .Where(blocked => blocked.BlockedBy.Contains(session.Pid) && !path.Contains(blocked.Pid))
                .Select(blocked => Tree(blocked, [.. path, blocked.Pid]))
                .ToList(),
        };

        return blockers
            .Where(pid => byPid.TryGetValue(pid, out var blocker) && blocker.BlockedBy.Length == 0)
            .Select(pid => Tree(byPid[pid], [pid]))
            .ToList();
    }

    /// <summary>Cancels the query a session runs (pg_cancel_backend: the session stays), recording who asked.</summary>
    public async Task<CancelOutcome> CancelAsync(ClaimsPrincipal actor, string target, int pid, string? query, CancellationToken cancellationToken = default)
    {
        PortalRoles.Demand(actor, PortalRoles.Admin, "cancel a query");
        await using var connection = await targets.OpenAsync(target, cancellationToken);
        bool cancelled;
        try
        {
            cancelled = await connection.QuerySingleAsync<bool>(new CommandDefinition("SELECT pg_cancel_backend(@pid)", new { pid }, cancellationToken: cancellationToken));
        }
        catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.InsufficientPrivilege)
        {
            cancelled = false;
        }
        await audit.RecordAsync(AuditLog.ActorOf(actor), "query.cancel", $"{target}:{pid}", new { query }, new { cancelled }, cancellationToken);
        return cancelled ? CancelOutcome.Cancelled : CancelOutcome.NotPermitted;
    }
}
