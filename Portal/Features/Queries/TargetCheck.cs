using Dapper;
using Npgsql;

namespace Portal.Features.Queries;

/// <summary>Something a target lacks, and exactly what to do about it. A blocker stops snapshots; a hint does not.</summary>
public sealed record TargetProblem(string What, string Fix, bool Blocker);

/// <summary>What the portal found when it connected to a target.</summary>
/// <summary>What the target's role may do for one of the portal's features, and the SQL that grants it when it may not.</summary>
public sealed record TargetCapability(string Key, string Feature, bool Granted, string Grant);

public sealed record TargetStatus(QueryTarget Target, string? Version, int VersionNumber, IReadOnlyList<TargetProblem> Problems)
{
    /// <summary>The least-privilege checklist: statistics, EXPLAIN, cancelling sessions (empty when the target could not be reached).</summary>
    public IReadOnlyList<TargetCapability> Capabilities { get; init; } = [];

    public bool Ready => Problems.All(problem => !problem.Blocker);
}

/// <summary>Checks a target: reachable, PostgreSQL 14+, pg_stat_statements loaded and created, rights to read every user's statements.</summary>
public sealed class TargetCheck(QueryTargets targets)
{
    private static string QuoteIdentifier(string name) =>
        name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') && !char.IsAsciiDigit(name[0]) ? name : $"\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    public const int MinimumVersion = 140000;

    private sealed record Facts(string Version, int VersionNumber, string Database, string Username, bool Preloaded, bool Created, bool ReadsAllStats, bool IoTiming,
        bool ReadsAllData, bool SignalsBackends);

    private const string Sql = """
        SELECT current_setting('server_version') AS "Version",
               current_setting('server_version_num')::int AS "VersionNumber",
               current_database() AS "Database", current_user AS "Username",
               'pg_stat_statements' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) AS "Preloaded",
               EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS "Created",
               pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS "ReadsAllStats",
               current_setting('track_io_timing')::bool AS "IoTiming",
               CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = 'pg_read_all_data') THEN pg_has_role(current_user, 'pg_read_all_data', 'USAGE') ELSE false END AS "ReadsAllData",
               pg_has_role(current_user, 'pg_signal_backend', 'USAGE') AS "SignalsBackends"
        """;

    public async Task<TargetStatus> RunAsync(QueryTarget target, CancellationToken cancellationToken = default)
    {
        Facts facts;
        try
        {
            await using var connection = await targets.OpenAsync(target.Name, cancellationToken);
            facts = await connection.QuerySingleAsync<Facts>(new CommandDefinition(Sql, cancellationToken: cancellationToken));
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return new TargetStatus(target, null, 0, [new TargetProblem($"Cannot connect to {target.Host}:{target.Port}/{target.Database}: {ex.Message}",
                "Check that the server is up and that the connection string's host, port, database and credentials are right.", true)]);
        }

        var problems = new List<TargetProblem>();
        if (facts.VersionNumber < MinimumVersion)
        {
            problems.Add(new($"PostgreSQL {facts.Version} is too old.", "Upgrade to PostgreSQL 14 or newer (pg_stat_statements' toplevel column and pg_stat_statements_info are needed).", true));
        }
        if (!facts.Preloaded)
        {
            problems.Add(new("pg_stat_statements is not loaded.", "Add pg_stat_statements to shared_preload_libraries in postgresql.conf and restart PostgreSQL.", true));
        }
        if (!facts.Created)
        {
            problems.Add(new($"The pg_stat_statements extension is not created in database {facts.Database}.",
                $"As a superuser, connected to {facts.Database}: CREATE EXTENSION pg_stat_statements;", true));
        }
        if (!facts.ReadsAllStats)
        {
            problems.Add(new($"Role {facts.Username} sees only its own statements (others show as <insufficient privilege>).",
                $"As a superuser: GRANT pg_monitor TO {facts.Username};", false));
        }
        if (!facts.IoTiming)
        {
            problems.Add(new("track_io_timing is off: block read and write times are zero.", "Set track_io_timing = on in postgresql.conf and reload.", false));
        }
        if (facts.Preloaded && facts.Created && await CapacityAsync(target, cancellationToken) is { } capacity && capacity.Held >= capacity.Max * CapacityWarning)
        {
            problems.Add(new($"pg_stat_statements holds {capacity.Held:N0} of its {capacity.Max:N0} statements" +
                    (capacity.Dealloc > 0 ? $" and has {new StatementEvictions(capacity.Dealloc, capacity.Max).MadeRoom} since its statistics were reset." : "."),
                $"Raise pg_stat_statements.max in postgresql.conf (to {capacity.Max * 2:N0}, say) and restart PostgreSQL: {StatementEvictions.Cost}.", false));
        }
        var role = QuoteIdentifier(facts.Username);
        return new TargetStatus(target, facts.Version, facts.VersionNumber, problems)
        {
            Capabilities =
            [
                new("statistics", "Statistics of every role's statements and sessions (top queries, activity, index health)", facts.ReadsAllStats, $"GRANT pg_monitor TO {role};"),
                new("explain", "EXPLAIN of any statement (it reads the tables' definitions and statistics)", facts.ReadsAllData, ExplainGrant(facts.Username)),
                new("cancel", "Cancel and terminate other roles' sessions (Live activity)", facts.SignalsBackends, $"GRANT pg_signal_backend TO {role};"),
            ],
        };
    }

    /// <summary>The share of pg_stat_statements.max in use from which the check says so.</summary>
    public const double CapacityWarning = 0.9;

    private sealed record Capacity(long Held, int Max, long Dealloc);

    // Without the statements' texts (pg_stat_statements(false)): counting them does not read the texts' file.
    private async Task<Capacity?> CapacityAsync(QueryTarget target, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await targets.OpenAsync(target.Name, cancellationToken);
            return await connection.QuerySingleAsync<Capacity>(new CommandDefinition("""
                SELECT (SELECT count(*) FROM pg_stat_statements(false)) AS "Held", current_setting('pg_stat_statements.max')::int AS "Max",
                       (SELECT dealloc FROM pg_stat_statements_info) AS "Dealloc"
                """, cancellationToken: cancellationToken));
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return null; // the blockers above say why; the capacity is a hint
        }
    }

    /// <summary>What lets a role EXPLAIN statements on others' tables (the checklist's, and EXPLAIN's refusal's).</summary>
    public static string ExplainGrant(string username) => $"GRANT pg_read_all_data TO {QuoteIdentifier(username)};  -- or GRANT SELECT ON the tables to explain";
}
