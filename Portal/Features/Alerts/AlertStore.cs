using System.Text.Json;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Portal.Features.Alerts;

/// <summary>The <c>alert_instances</c> and <c>alert_transitions</c> tables.</summary>
public sealed class AlertStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        fingerprint AS "Fingerprint", rule_key AS "RuleKey", rule_name AS "RuleName", severity AS "Severity", source AS "Source", labels::text AS "LabelsJson",
        annotations::text AS "AnnotationsJson", state AS "State", no_data AS "NoData", no_data_reason AS "NoDataReason", value AS "Value",
        threshold AS "Threshold", active_since AS "ActiveSince", firing_since AS "FiringSince", resolved_at AS "ResolvedAt", last_evaluated_at AS "LastEvaluatedAt"
        """;

    public async Task<IReadOnlyList<AlertInstance>> AllAsync(CancellationToken cancellationToken = default) =>
        await ReadAsync($"SELECT {Columns} FROM alert_instances", null, cancellationToken);

    /// <summary>Pending and firing alerts, firing first, then the oldest.</summary>
    public async Task<IReadOnlyList<AlertInstance>> ActiveAsync(CancellationToken cancellationToken = default) =>
        await ReadAsync($"SELECT {Columns} FROM alert_instances WHERE state <> 'inactive' ORDER BY state = 'firing' DESC, active_since", null, cancellationToken);

    public async Task<IReadOnlyList<AlertTransition>> TimelineAsync(string fingerprint, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<AlertTransition>(new CommandDefinition("""
            SELECT fingerprint AS "Fingerprint", at AS "At", from_state AS "From", to_state AS "To", value AS "Value", note AS "Note"
            FROM alert_transitions WHERE fingerprint = @fingerprint ORDER BY at, id
            """, new { fingerprint }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Writes the evaluated instances and their transitions in one transaction (the notifications will join it).</summary>
    public async Task SaveAsync(IReadOnlyCollection<AlertInstance> instances, IReadOnlyCollection<AlertTransition> transitions, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var instance in instances)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO alert_instances (fingerprint, rule_key, rule_name, severity, source, labels, annotations, state, no_data, no_data_reason, value, threshold,
                                             active_since, firing_since, resolved_at, last_evaluated_at)
                VALUES (@Fingerprint, @RuleKey, @RuleName, @Severity, @Source, @Labels, @Annotations, @State, @NoData, @NoDataReason, @Value, @Threshold,
                        @ActiveSince, @FiringSince, @ResolvedAt, @LastEvaluatedAt)
                ON CONFLICT (fingerprint) DO UPDATE SET labels = excluded.labels, annotations = excluded.annotations, state = excluded.state,
                    no_data = excluded.no_data, no_data_reason = excluded.no_data_reason, value = excluded.value, threshold = excluded.threshold,
                    active_since = excluded.active_since, firing_since = excluded.firing_since, resolved_at = excluded.resolved_at,
                    last_evaluated_at = excluded.last_evaluated_at
                """, new
            {
                instance.Fingerprint, instance.RuleKey, instance.RuleName, instance.Severity, instance.Source, Labels = Json(instance.Labels), Annotations = Json(instance.Annotations),
                instance.State, instance.NoData, instance.NoDataReason, instance.Value, instance.Threshold, instance.ActiveSince, instance.FiringSince,
                instance.ResolvedAt, instance.LastEvaluatedAt,
            }, transaction, cancellationToken: cancellationToken));
        }
        foreach (var transition in transitions)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO alert_transitions (fingerprint, at, from_state, to_state, value, note) VALUES (@Fingerprint, @At, @From, @To, @Value, @Note)
                """, transition, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static JsonbParameter Json(IReadOnlyDictionary<string, string> values) => new(JsonSerializer.Serialize(values));

    private async Task<IReadOnlyList<AlertInstance>> ReadAsync(string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<StoredInstance>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        return rows.Select(row => row.ToInstance()).ToList();
    }

    /// <summary>A jsonb parameter for Dapper.</summary>
    private sealed class JsonbParameter(string json) : SqlMapper.ICustomQueryParameter
    {
        public void AddParameter(System.Data.IDbCommand command, string name) =>
            command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Jsonb) { Value = json });
    }

    private sealed class StoredInstance
    {
        public string Fingerprint { get; init; } = "";
        public string RuleKey { get; init; } = "";
        public string RuleName { get; init; } = "";
        public string Severity { get; init; } = "";
        public string Source { get; init; } = "";
        public string LabelsJson { get; init; } = "{}";
        public string AnnotationsJson { get; init; } = "{}";
        public string State { get; init; } = "";
        public bool NoData { get; init; }
        public string? NoDataReason { get; init; }
        public double? Value { get; init; }
        public double Threshold { get; init; }
        public DateTimeOffset? ActiveSince { get; init; }
        public DateTimeOffset? FiringSince { get; init; }
        public DateTimeOffset? ResolvedAt { get; init; }
        public DateTimeOffset LastEvaluatedAt { get; init; }

        public AlertInstance ToInstance() => new()
        {
            Fingerprint = Fingerprint, RuleKey = RuleKey, RuleName = RuleName, Severity = Severity, Source = Source,
            Labels = JsonSerializer.Deserialize<Dictionary<string, string>>(LabelsJson)!, Annotations = JsonSerializer.Deserialize<Dictionary<string, string>>(AnnotationsJson)!,
            State = State, NoData = NoData, NoDataReason = NoDataReason, Value = Value, Threshold = Threshold, ActiveSince = ActiveSince,
            FiringSince = FiringSince, ResolvedAt = ResolvedAt, LastEvaluatedAt = LastEvaluatedAt,
        };
    }
}
