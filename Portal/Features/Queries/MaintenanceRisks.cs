using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Components;

namespace Portal.Features.Queries;

/// <summary>The kinds of limit a database can run into.</summary>
public static class RiskKinds
{
    /// <summary>Transaction-ID age: at 2³¹ PostgreSQL stops taking writes until a database-wide VACUUM has frozen the oldest rows.</summary>
    public const string Xid = "xid";

    /// <summary>Multixact age (row locks shared by several transactions): the same wall as XIDs, reached by lock-heavy workloads.</summary>
    public const string Multixact = "multixact";

    /// <summary>A sequence's share of its type's range: at its end every INSERT that takes a value fails.</summary>
    public const string Sequence = "sequence";

    /// <summary>Client connections against <c>max_connections</c> (less the superusers' reserve): past it, new sessions are refused.</summary>
    public const string Connections = "connections";

    /// <summary>
    /// A replication slot's retained WAL: the server keeps every WAL segment a slot has not consumed (and vacuum keeps the
    /// rows its catalog xmin needs), so a slot whose consumer is gone fills the disk.
    /// </summary>
    public const string Slot = "slot";

    /// <summary>
    /// A table's or b-tree index's space beyond what its live rows need (<see cref="BloatEstimate"/>): reads that scan it
    /// read the dead space too, and only a rewrite gives it back to the disk.
    /// </summary>
    public const string Bloat = "bloat";

    /// <summary>
    /// A standby's replay lag in WAL: reads on it are that far behind, and a standby without a slot that falls further
    /// behind than the WAL its primary keeps (<c>wal_keep_size</c>) loses its stream and must be rebuilt.
    /// </summary>
    public const string Replication = "replication";

    /// <summary>
    /// A table's dead rows against all its rows: autovacuum should come by at 20 % (its default scale factor); far past
    /// it, autovacuum is falling behind (or something holds back what it may remove) and the table bloats.
    /// </summary>
    public const string Vacuum = "vacuum";

    public static readonly IReadOnlyList<string> All = [Xid, Multixact, Sequence, Connections, Slot, Replication, Vacuum, Bloat];
}

public static class RiskStatuses
{
    public const string Ok = "ok";
    public const string Warning = "warning";
    public const string Critical = "critical";
}

/// <summary>One limit of the database, how much of it is used, and what to do before it is reached.</summary>
public sealed record MaintenanceRisk(string Kind, string Subject, double Used, double Limit, string Status, string Advice)
{
    public double Share => Limit <= 0 ? 0 : Used / Limit;
}

/// <summary>
/// A target's risks, worst first, the sequences whose position its role may not read, and the relations whose bloat it
/// could neither estimate (no readable statistics) nor measure (no pgstattuple).
/// </summary>
public sealed record MaintenanceRiskReport(IReadOnlyList<MaintenanceRisk> Risks, string Role, IReadOnlyList<string> UnreadableSequences,
    IReadOnlyList<string> UnmeasuredBloat)
{
    /// <summary>The grant that lets the role read every unreadable sequence's position; null when there is none.</summary>
    public string? Grant => UnreadableSequences.Count == 0 ? null
        : $"GRANT SELECT ON ALL SEQUENCES IN SCHEMA {string.Join(", ", UnreadableSequences.Select(name => name[..name.IndexOf('.', StringComparison.Ordinal)]).Distinct(StringComparer.Ordinal))} TO {Role};";

    public string Status => Risks.Any(risk => risk.Status == RiskStatuses.Critical) ? RiskStatuses.Critical
        : Risks.Any(risk => risk.Status == RiskStatuses.Warning) ? RiskStatuses.Warning : RiskStatuses.Ok;
}

/// <summary>
/// The risks that take a database down, read with the least-privilege monitoring role (pg_monitor): transaction-ID and
/// multixact age per database and for its oldest tables, sequences by the share of their range used, and client
/// connections against the server's limit. Each is judged by the share of its limit at <see cref="QueryOptions.Risks"/>.
/// </summary>
public sealed class MaintenanceRisks(QueryTargets targets, BloatReader bloat, IOptions<QueryOptions> options)
{
    /// <summary>The age at which PostgreSQL stops assigning transaction IDs (or multixacts): 2³¹, less its safety margin.</summary>
    public const double WraparoundLimit = 2_147_483_648 - 3_000_000;

    /// <summary>The oldest tables listed per kind of age (the database's age is its oldest table's).</summary>
    public const int OldestTables = 5;

    public async Task<MaintenanceRiskReport> ReadAsync(string target, CancellationToken cancellationToken = default)
    {
        await using var connection = await targets.OpenAsync(target, cancellationToken);
        // One transaction: age() counts from the transaction's own position, so a database and its tables are aged alike.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var risks = new List<MaintenanceRisk>();
        var unreadable = new List<string>();
        var role = await connection.QuerySingleAsync<string>(new CommandDefinition("SELECT quote_ident(current_user)", transaction: transaction, cancellationToken: cancellationToken));

        // Every database of the cluster: the one that wraps around stops the whole server.
        foreach (var database in await connection.QueryAsync<(string Name, long XidAge, long MultixactAge)>(new CommandDefinition("""
            SELECT datname, age(datfrozenxid)::bigint, mxid_age(datminmxid)::bigint FROM pg_database WHERE datallowconn ORDER BY datname
            """, transaction: transaction, cancellationToken: cancellationToken)))
        {
            risks.Add(Risk(RiskKinds.Xid, $"database {database.Name}", database.XidAge, WraparoundLimit,
                $"VACUUM (FREEZE) the oldest tables of {database.Name}; find what holds autovacuum back (long transactions, abandoned replication slots, prepared transactions)"));
            risks.Add(Risk(RiskKinds.Multixact, $"database {database.Name}", database.MultixactAge, WraparoundLimit,
                $"VACUUM (FREEZE) the oldest tables of {database.Name}; long transactions holding shared row locks keep multixacts alive"));
        }

        // This database's oldest tables, where the freezing has to happen.
        foreach (var table in await connection.QueryAsync<(string Name, long XidAge, long MultixactAge)>(new CommandDefinition("""
            SELECT format('%I.%I', n.nspname, c.relname), age(c.relfrozenxid)::bigint, mxid_age(c.relminmxid)::bigint
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm', 't')
            ORDER BY 2 DESC
            LIMIT @OldestTables
            """, new { OldestTables }, transaction, cancellationToken: cancellationToken)))
        {
            risks.Add(Risk(RiskKinds.Xid, $"table {table.Name}", table.XidAge, WraparoundLimit, $"VACUUM (FREEZE, VERBOSE) {table.Name};"));
        }

        // A sequence's position is readable only with USAGE or SELECT on it, which pg_monitor does not give (looked up
        // by oid: a name in a schema the role may not use would fail the whole read).
        foreach (var sequence in await connection.QueryAsync<SequenceRow>(new CommandDefinition("""
            SELECT format('%I.%I', n.nspname, c.relname) AS "Name", format_type(s.seqtypid, NULL) AS "Type", s.seqmin AS "MinValue",
                   s.seqmax AS "MaxValue", s.seqincrement AS "Increment",
                   CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE') THEN pg_sequence_last_value(c.oid) END AS "LastValue",
                   has_sequence_privilege(c.oid, 'SELECT,USAGE') AS "Readable"
            FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
            ORDER BY 1
            """, transaction: transaction, cancellationToken: cancellationToken)))
        {
            if (!sequence.Readable)
            {
                unreadable.Add(sequence.Name);
                continue;
            }
            var range = (double)sequence.MaxValue - sequence.MinValue;
            var used = sequence.LastValue is not { } last ? 0 : sequence.Increment > 0 ? (double)last - sequence.MinValue : (double)sequence.MaxValue - last;
            risks.Add(Risk(RiskKinds.Sequence, $"sequence {sequence.Name} ({sequence.Type})", used, range,
                sequence.Type == "bigint"
                    ? $"ALTER SEQUENCE {sequence.Name} MAXVALUE … or CYCLE, if its values may be reused"
                    : $"ALTER SEQUENCE {sequence.Name} AS bigint; and the columns that take its values to bigint"));
        }

        var (clients, limit, reserved) = await connection.QuerySingleAsync<(long, long, long)>(new CommandDefinition("""
            SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
                   current_setting('max_connections')::bigint, current_setting('superuser_reserved_connections')::bigint
            """, transaction: transaction, cancellationToken: cancellationToken));
        risks.Add(Risk(RiskKinds.Connections, "server", clients, limit - reserved,
            "a connection pooler (PgBouncer) in front of the server, or fewer pools in the applications; idle sessions: idle_session_timeout"));

        // Replication slots (on a primary: a standby has no WAL position of its own to measure against), each by the WAL
        // it holds against max_slot_wal_keep_size, or Queries:Risks:SlotWalLimitMegabytes when that is unlimited.
        foreach (var slot in await connection.QueryAsync<SlotRow>(new CommandDefinition("""
            SELECT slot_name AS "Name", slot_type AS "Type", active AS "Active", coalesce(wal_status, '') AS "WalStatus",
                   CASE WHEN pg_is_in_recovery() OR restart_lsn IS NULL THEN 0 ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) END::float8 AS "RetainedBytes",
                   (SELECT setting::float8 FROM pg_settings WHERE name = 'max_slot_wal_keep_size') AS "KeepSizeMegabytes"
            FROM pg_replication_slots ORDER BY slot_name
            """, transaction: transaction, cancellationToken: cancellationToken)))
        {
            var keep = (slot.KeepSizeMegabytes > 0 ? slot.KeepSizeMegabytes : options.Value.Risks.SlotWalLimitMegabytes) * 1024 * 1024;
            var lost = slot.WalStatus == "lost";
            risks.Add(Risk(RiskKinds.Slot, $"slot {slot.Name} ({slot.Type}, {(slot.Active ? "active" : "inactive")}{(lost ? ", WAL lost" : "")})",
                lost ? keep : slot.RetainedBytes, keep,
                slot.Active
                    ? $"its consumer reads too slowly: look at the replica or subscriber of {slot.Name} (pg_stat_replication on this server)"
                    : $"bring its consumer back, or if it is gone for good: SELECT pg_drop_replication_slot('{slot.Name.Replace("'", "''", StringComparison.Ordinal)}');"));
        }

        // Replication lag: on a primary, each standby streaming from it by the WAL it has not replayed yet; on a standby,
        // itself, by the WAL it has received and not replayed. Against wal_keep_size for a standby without a slot (beyond
        // it, its stream is lost), else Queries:Risks:ReplicationLagMegabytes.
        var walKeepSize = await connection.QuerySingleAsync<double>(new CommandDefinition(
            "SELECT setting::float8 FROM pg_settings WHERE name = 'wal_keep_size'", transaction: transaction, cancellationToken: cancellationToken));
        foreach (var replica in await connection.QueryAsync<ReplicaRow>(new CommandDefinition("""
            SELECT format('standby %s (%s)', coalesce(nullif(r.application_name, ''), host(r.client_addr), 'pid ' || r.pid), r.state) AS "Name",
                   coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn), 0)::float8 AS "LagBytes",
                   coalesce(extract(epoch FROM r.replay_lag), 0)::float8 AS "LagSeconds",
                   EXISTS (SELECT 1 FROM pg_replication_slots s WHERE s.active_pid = r.pid) AS "HasSlot",
                   false AS "Paused"
            FROM pg_stat_replication r WHERE NOT pg_is_in_recovery()
            UNION ALL
            SELECT 'this standby', coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)::float8,
                   CASE WHEN pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn() THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp()) ELSE 0 END::float8,
                   true, pg_is_wal_replay_paused()
            WHERE pg_is_in_recovery()
            """, transaction: transaction, cancellationToken: cancellationToken)))
        {
            var behindLimit = (!replica.HasSlot && walKeepSize > 0 ? walKeepSize : options.Value.Risks.ReplicationLagMegabytes) * 1024 * 1024;
            risks.Add(Risk(RiskKinds.Replication, replica.Name, replica.LagBytes, behindLimit,
                $"replay lag {Durations.Milliseconds(replica.LagSeconds * 1_000)}" + (replica.Paused
                    ? "; its replay is paused: SELECT pg_wal_replay_resume(); on it"
                    : "; look at the standby's disk and CPU, its long queries (max_standby_streaming_delay), and the network")
                + (replica.HasSlot ? "" : "; without a slot it loses its stream past wal_keep_size")));
        }

        // This database's tables with the most dead rows, with when (auto)vacuum and (auto)analyze last came by.
        foreach (var table in await connection.QueryAsync<UpkeepRow>(new CommandDefinition("""
            SELECT format('%I.%I', schemaname, relname) AS "Name", n_dead_tup::float8 AS "DeadRows", (n_live_tup + n_dead_tup)::float8 AS "Rows",
                   greatest(last_vacuum, last_autovacuum) AS "LastVacuum", greatest(last_analyze, last_autoanalyze) AS "LastAnalyze"
            FROM pg_stat_user_tables
            WHERE n_dead_tup >= @minimum
            ORDER BY n_dead_tup DESC
            LIMIT 20
            """, new { minimum = options.Value.Risks.VacuumMinimumDeadRows }, transaction, cancellationToken: cancellationToken)))
        {
            risks.Add(Risk(RiskKinds.Vacuum, $"table {table.Name}", table.DeadRows, table.Rows,
                $"VACUUM (VERBOSE, ANALYZE) {table.Name}; last vacuumed {When(table.LastVacuum)}, analysed {When(table.LastAnalyze)}. If autovacuum keeps " +
                "falling behind: a lower autovacuum_vacuum_scale_factor for the table, more autovacuum_max_workers, or the long transaction holding back what it may remove"));
        }

        var bloated = await bloat.ReadAsync(target, connection, transaction, options.Value.Risks, cancellationToken);
        foreach (var relation in bloated.Relations)
        {
            risks.Add(Risk(RiskKinds.Bloat, relation.Kind == RelationKinds.Table
                    ? $"table {relation.Name} ({relation.Method})"
                    : $"index {relation.Name} on {relation.Table} ({relation.Method})",
                relation.WastedBytes, relation.Bytes,
                relation.Kind == RelationKinds.Table
                    ? $"rewrite it: pg_repack -t {relation.Name} (online), or VACUUM FULL {relation.Name}; (locks it throughout); then find what held autovacuum back"
                    : $"REINDEX INDEX CONCURRENTLY {relation.Name};"));
        }

        return new MaintenanceRiskReport(risks.OrderByDescending(risk => Severity(risk.Status)).ThenByDescending(risk => risk.Share).ToList(), role, unreadable,
            bloated.Unmeasured);
    }

    private MaintenanceRisk Risk(string kind, string subject, double used, double limit, string advice)
    {
        var (warning, critical) = options.Value.Risks.Thresholds(kind);
        var share = limit <= 0 ? 0 : used / limit;
        var status = share >= critical ? RiskStatuses.Critical : share >= warning ? RiskStatuses.Warning : RiskStatuses.Ok;
        return new MaintenanceRisk(kind, subject, used, limit, status, advice);
    }

    private static int Severity(string status) => status switch { RiskStatuses.Critical => 2, RiskStatuses.Warning => 1, _ => 0 };

    /// <summary>A kind of risk in words, for the page and the report.</summary>
    public static string Title(string kind) => kind switch
    {
        RiskKinds.Xid => "Transaction-ID wraparound",
        RiskKinds.Multixact => "Multixact wraparound",
        RiskKinds.Sequence => "Sequence running out",
        RiskKinds.Slot => "Replication slot retaining WAL",
        RiskKinds.Bloat => "Bloat",
        RiskKinds.Replication => "Replication lag",
        RiskKinds.Vacuum => "Dead rows awaiting vacuum",
        _ => "Connections",
    };

    /// <summary>"1.2 billion of 2.1 billion", "31,000 of 32,767", "1.5 GiB of 10 GiB": a risk's use against its limit.</summary>
    public static string Describe(MaintenanceRisk risk) => risk.Kind switch
    {
        RiskKinds.Slot => $"{Bytes(risk.Used)} of {Bytes(risk.Limit)} of WAL",
        RiskKinds.Bloat => $"{Bytes(risk.Used)} of {Bytes(risk.Limit)} wasted",
        RiskKinds.Replication => $"{Bytes(risk.Used)} of {Bytes(risk.Limit)} of WAL behind",
        RiskKinds.Vacuum => $"{Count(risk.Used)} of {Count(risk.Limit)} rows dead",
        _ => $"{Count(risk.Used)} of {Count(risk.Limit)}",
    };

    private static string Bytes(double value) => value >= 1 << 30
        ? (value / (1 << 30)).ToString("0.#", CultureInfo.InvariantCulture) + " GiB"
        : (value / (1 << 20)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB";

    private static string Count(double value) => value >= 1e9
        ? (value / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + " billion"
        : value >= 1e7 ? (value / 1e6).ToString("0", CultureInfo.InvariantCulture) + " million"
        : value.ToString("N0", CultureInfo.InvariantCulture);

    private sealed record SequenceRow(string Name, string Type, long MinValue, long MaxValue, long Increment, long? LastValue, bool Readable);

    private static string When(DateTime? at) => at is { } value ? value.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "never";

    private sealed record UpkeepRow(string Name, double DeadRows, double Rows, DateTime? LastVacuum, DateTime? LastAnalyze);

    private sealed record ReplicaRow(string Name, double LagBytes, double LagSeconds, bool HasSlot, bool Paused);

    private sealed record SlotRow(string Name, string Type, bool Active, string WalStatus, double RetainedBytes, double KeepSizeMegabytes);
}

/// <summary>The shares of each limit at which a maintenance risk is a warning and critical (<c>Queries:Risks</c>).</summary>
public sealed class RiskThresholdOptions
{
    /// <summary>Transaction-ID and multixact age: check_postgres's defaults are about these (1.3 and 1.4 billion of 2.1).</summary>
    public double WraparoundWarning { get; set; } = 0.5;

    public double WraparoundCritical { get; set; } = 0.75;

    public double SequenceWarning { get; set; } = 0.75;

    public double SequenceCritical { get; set; } = 0.9;

    public double ConnectionsWarning { get; set; } = 0.8;

    public double ConnectionsCritical { get; set; } = 0.95;

    /// <summary>A slot's retained WAL against max_slot_wal_keep_size, or against <see cref="SlotWalLimitMegabytes"/> where that is unlimited (-1, the default).</summary>
    public double SlotWarning { get; set; } = 0.5;

    public double SlotCritical { get; set; } = 0.8;

    /// <summary>The WAL a slot may hold when the server sets no max_slot_wal_keep_size: about what a disk sized for the database can spare.</summary>
    public double SlotWalLimitMegabytes { get; set; } = 10_240;

    /// <summary>Dead rows against a table's rows: at autovacuum's default trigger (20 %) a warning; at half, autovacuum is far behind.</summary>
    public double VacuumWarning { get; set; } = 0.2;

    public double VacuumCritical { get; set; } = 0.5;

    /// <summary>Tables with fewer dead rows than this are not judged: a small table's dead rows cost nothing.</summary>
    public long VacuumMinimumDeadRows { get; set; } = 10_000;

    /// <summary>A standby's unreplayed WAL against <c>wal_keep_size</c> (no slot), or against <see cref="ReplicationLagMegabytes"/>.</summary>
    public double ReplicationWarning { get; set; } = 0.5;

    public double ReplicationCritical { get; set; } = 0.8;

    /// <summary>The replay lag a standby with a slot (or whose primary keeps no WAL for it) may reach: 1 GiB is minutes behind for most.</summary>
    public double ReplicationLagMegabytes { get; set; } = 1_024;

    /// <summary>
    /// A relation's estimated bloat against its size: at 40 % a scan reads two pages for every three its rows need; at
    /// 70 %, three for one. Freshly vacuumed tables keep some free space (and the estimate's error is about 10 %).
    /// </summary>
    public double BloatWarning { get; set; } = 0.4;

    public double BloatCritical { get; set; } = 0.7;

    /// <summary>Relations smaller than this are left out of the bloat estimate: their waste costs less than a rewrite's lock.</summary>
    public double BloatMinimumMegabytes { get; set; } = 100;

    /// <summary>A relation measured with pgstattuple (a scan) is measured again after this long.</summary>
    public double BloatScanMinutes { get; set; } = 60;

    public (double Warning, double Critical) Thresholds(string kind) => kind switch
    {
        RiskKinds.Xid or RiskKinds.Multixact => (WraparoundWarning, WraparoundCritical),
        RiskKinds.Sequence => (SequenceWarning, SequenceCritical),
        RiskKinds.Connections => (ConnectionsWarning, ConnectionsCritical),
        RiskKinds.Slot => (SlotWarning, SlotCritical),
        RiskKinds.Bloat => (BloatWarning, BloatCritical),
        RiskKinds.Replication => (ReplicationWarning, ReplicationCritical),
        RiskKinds.Vacuum => (VacuumWarning, VacuumCritical),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a kind of maintenance risk"),
    };

    /// <summary>Why these thresholds cannot be used, or null: each share in (0, 1], the warning below the critical.</summary>
    public string? Problem() => BloatMinimumMegabytes < 0 ? "Queries:Risks:BloatMinimumMegabytes must be 0 or more"
        : BloatScanMinutes <= 0 ? "Queries:Risks:BloatScanMinutes must be more than 0"
        : RiskKinds.All.Select(kind => (kind, Thresholds(kind))).FirstOrDefault(pair =>
            pair.Item2.Warning is <= 0 or > 1 || pair.Item2.Critical is <= 0 or > 1 || pair.Item2.Warning >= pair.Item2.Critical) is ({ } bad, _)
        ? $"Queries:Risks: the {bad} shares must be in (0, 1], the warning below the critical"
        : null;
}
