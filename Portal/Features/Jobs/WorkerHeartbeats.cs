using System.Diagnostics;
using System.Reflection;
using Dapper;
using Npgsql;

namespace Portal.Features.Jobs;

/// <summary>Who this worker process is, as recorded in its heartbeats.</summary>
public sealed record WorkerIdentity(string Node, DateTimeOffset StartedAt, string Version)
{
    public static WorkerIdentity Current { get; } = new(
        $"{Environment.MachineName}:{Environment.ProcessId}",
        new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero),
        ShortVersion(typeof(WorkerIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion));

    // "1.0.0+abb44c085270a05402bfc8199ce30c0cc802adf3" (SourceLink) reads better as "1.0.0+abb44c0".
    private static string ShortVersion(string? version) => version?.Split('+') switch
    {
        [var number, var commit] => $"{number}+{commit[..Math.Min(7, commit.Length)]}",
        _ => version ?? "unknown",
    };
}

/// <summary>A worker's last heartbeat; <see cref="AgeSeconds"/> is measured by the database clock.</summary>
public sealed record WorkerHeartbeat
{
    public required string Node { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset BeatAt { get; init; }
    public DateTimeOffset? StoppedAt { get; init; }
    public required string Version { get; init; }
    public required double AgeSeconds { get; init; }
}

/// <summary>The <c>worker_heartbeats</c> table: written by the heartbeat job, read by the Overview.</summary>
public sealed class WorkerHeartbeats(NpgsqlDataSource dataSource)
{
    /// <summary>Heartbeats of workers gone longer than this are deleted when another worker beats.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    public async Task RecordAsync(WorkerIdentity worker, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO worker_heartbeats (node, started_at, beat_at, version)
            VALUES (@Node, @StartedAt, now(), @Version)
            ON CONFLICT (node) DO UPDATE SET beat_at = now(), version = excluded.version
                WHERE worker_heartbeats.stopped_at IS NULL; -- a beat racing the shutdown does not revive a stopped worker

            DELETE FROM worker_heartbeats WHERE beat_at < now() - @Retention;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            sql, new { worker.Node, worker.StartedAt, worker.Version, Retention }, cancellationToken: cancellationToken));
    }

    /// <summary>A clean shutdown: the Overview then shows the worker stopped rather than stale.</summary>
    public async Task RecordStoppedAsync(WorkerIdentity worker, CancellationToken cancellationToken)
    {
        const string sql = "UPDATE worker_heartbeats SET stopped_at = now() WHERE node = @Node";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { worker.Node }, cancellationToken: cancellationToken));
    }

    /// <summary>Workers that beat within <paramref name="window"/>, most recent first.</summary>
    public async Task<IReadOnlyList<WorkerHeartbeat>> GetRecentAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT node          AS "Node",
                   started_at    AS "StartedAt",
                   beat_at       AS "BeatAt",
                   stopped_at    AS "StoppedAt",
                   version       AS "Version",
                   extract(epoch FROM now() - beat_at)::float8 AS "AgeSeconds"
            FROM worker_heartbeats
            WHERE beat_at > now() - @window
            ORDER BY beat_at DESC
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<WorkerHeartbeat>(new CommandDefinition(sql, new { window }, cancellationToken: cancellationToken));
        return rows.AsList();
    }
}
