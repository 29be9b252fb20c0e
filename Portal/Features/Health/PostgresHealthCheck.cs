using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Portal.Features.Health;

/// <summary>The portal's own database; it is also the first monitored target, so pg_stat_statements is checked too.</summary>
public sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    private sealed record ServerInfo(string Version, bool StatementsPreloaded, bool StatementsCreated);

    private const string Sql = """
        SELECT current_setting('server_version') AS "Version",
               'pg_stat_statements' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) AS "StatementsPreloaded",
               EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS "StatementsCreated"
        """;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var server = await connection.QuerySingleAsync<ServerInfo>(new CommandDefinition(Sql, cancellationToken: cancellationToken));
        var version = $"PostgreSQL {server.Version}";
        return (server.StatementsPreloaded, server.StatementsCreated) switch
        {
            (true, true) => HealthCheckResult.Healthy($"{version} · pg_stat_statements ready"),
            (false, _) => HealthCheckResult.Degraded($"{version} · add pg_stat_statements to shared_preload_libraries and restart PostgreSQL"),
            (true, false) => HealthCheckResult.Degraded($"{version} · run CREATE EXTENSION pg_stat_statements as a superuser"),
        };
    }
}
