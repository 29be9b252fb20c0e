using System.Text.Json;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Portal.Features.Alerts;

/// <summary>Alerts' state (<c>alert_instances</c>, <c>alert_transitions</c>), their notification groups and the outbox of notifications.</summary>
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

    /// <summary>
    /// The rules that started firing between two instants (of the given services' alerts, or all), most severe and
    /// most frequent first: how often, and the first alert's fingerprint and time.
    /// </summary>
    public async Task<IReadOnlyList<FiredRule>> FiredAsync(DateTimeOffset from, DateTimeOffset to, IReadOnlyCollection<string> services, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<FiredRule>(new CommandDefinition("""
            SELECT i.rule_name AS "Rule", i.severity AS "Severity", i.labels->>'service' AS "Service", count(*)::int AS "Times",
                   min(t.at) AS "First", min(i.fingerprint) AS "Fingerprint"
            FROM alert_transitions t JOIN alert_instances i USING (fingerprint)
            WHERE t.to_state = 'firing' AND t.at >= @from AND t.at < @to
              AND (cardinality(@services::text[]) = 0 OR i.labels->>'service' = ANY(@services))
            GROUP BY 1, 2, 3 ORDER BY i.severity IN ('critical', 'page') DESC, count(*) DESC, 1
            """, new { from, to, services = services.ToArray() }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlyDictionary<string, AlertGroup>> GroupsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<StoredGroup>(new CommandDefinition("""
            SELECT group_key AS "GroupKey", destination AS "Destination", rule_name AS "RuleName", service AS "Service", notified AS "Notified",
                   first_seen_at AS "FirstSeenAt", last_notified_at AS "LastNotifiedAt", acknowledged_at AS "AcknowledgedAt", acknowledged_by AS "AcknowledgedBy",
                   acknowledged_note AS "AcknowledgedNote"
            FROM alert_groups
            """, cancellationToken: cancellationToken));
        return rows.ToDictionary(row => row.GroupKey, row => new AlertGroup(row.GroupKey, row.Destination, row.RuleName, row.Service, row.Notified, row.FirstSeenAt, row.LastNotifiedAt,
            row.AcknowledgedAt is { } at ? new Acknowledgement(at, row.AcknowledgedBy ?? "", row.AcknowledgedNote) : null));
    }

    /// <summary>The groups whose last notification told of the alert, with their acknowledgement.</summary>
    public async Task<IReadOnlyList<AlertGroup>> GroupsOfAsync(string fingerprint, CancellationToken cancellationToken = default) =>
        (await GroupsAsync(cancellationToken)).Values.Where(group => group.Notified.Contains(fingerprint)).OrderBy(group => group.Destination, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Acknowledges every group whose last notification told of the alert, and queues the acknowledgement for those of
    /// their destinations that track it (<paramref name="told"/> builds it; null for a destination that does not), in one
    /// transaction; the groups acknowledged.
    /// </summary>
    public async Task<IReadOnlyList<AlertGroup>> AcknowledgeAsync(string fingerprint, Acknowledgement acknowledgement,
        Func<AlertGroup, (string Title, string Payload)?> told, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<StoredGroup>(new CommandDefinition("""
            UPDATE alert_groups SET acknowledged_at = @At, acknowledged_by = @By, acknowledged_note = @Note
            WHERE @fingerprint = ANY(notified)
            RETURNING group_key AS "GroupKey", destination AS "Destination", rule_name AS "RuleName", service AS "Service", notified AS "Notified",
                      first_seen_at AS "FirstSeenAt", last_notified_at AS "LastNotifiedAt", acknowledged_at AS "AcknowledgedAt", acknowledged_by AS "AcknowledgedBy",
                      acknowledged_note AS "AcknowledgedNote"
            """, new { fingerprint, acknowledgement.At, acknowledgement.By, acknowledgement.Note }, transaction, cancellationToken: cancellationToken))).ToList();
        var groups = rows.Select(row => new AlertGroup(row.GroupKey, row.Destination, row.RuleName, row.Service, row.Notified, row.FirstSeenAt, row.LastNotifiedAt, acknowledgement))
            .ToList();
        foreach (var group in groups)
        {
            if (told(group) is not { } message)
            {
                continue;
            }
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO alert_notifications (group_key, destination, kind, title, payload, alerts, fingerprints, episode, created_at, next_attempt_at)
                VALUES (@GroupKey, @Destination, 'acknowledged', @Title, @Payload, @Alerts, @Fingerprints, @FirstSeenAt, @At, @At)
                """, new
            {
                group.GroupKey, group.Destination, message.Title, Payload = new JsonbParameter(message.Payload), Alerts = group.Notified.Count,
                Fingerprints = group.Notified.ToArray(), group.FirstSeenAt, acknowledgement.At,
            }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        return groups;
    }

    /// <summary>Notifications, newest first, as the filter narrows them.</summary>
    public async Task<IReadOnlyList<AlertNotification>> NotificationsAsync(NotificationFilter? filter = null, CancellationToken cancellationToken = default)
    {
        filter ??= new NotificationFilter();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<AlertNotification>(new CommandDefinition($"""
            SELECT {NotificationColumns} FROM alert_notifications
            WHERE (@Status::text IS NULL OR status = @Status) AND (@Since::timestamptz IS NULL OR created_at >= @Since)
              AND (@Destination::text IS NULL OR destination = @Destination) AND (@Fingerprint::text IS NULL OR fingerprints @> ARRAY[@Fingerprint])
              AND (@Text::text IS NULL OR title ILIKE '%' || @Text || '%' OR last_error ILIKE '%' || @Text || '%')
            ORDER BY created_at DESC, id DESC LIMIT @Limit
            """, filter, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<AlertNotification?> NotificationAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<AlertNotification>(new CommandDefinition(
            $"SELECT {NotificationColumns} FROM alert_notifications WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>The notifications of one group's episode, oldest first (through a bot token: one Slack thread).</summary>
    public async Task<IReadOnlyList<AlertNotification>> EpisodeAsync(string groupKey, DateTimeOffset episode, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<AlertNotification>(new CommandDefinition(
            $"SELECT {NotificationColumns} FROM alert_notifications WHERE group_key = @groupKey AND episode = @episode ORDER BY id",
            new { groupKey, episode }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Sends a dead notification back to the outbox, due now, its give-up clock restarted; false if it is not dead.</summary>
    public async Task<bool> RetryAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE alert_notifications SET status = 'pending', next_attempt_at = now(), retried_at = now() WHERE id = @id AND status = 'dead'
            """, new { id }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<AlertInstance?> InstanceAsync(string fingerprint, CancellationToken cancellationToken = default) =>
        (await ReadAsync($"SELECT {Columns} FROM alert_instances WHERE fingerprint = @fingerprint", new { fingerprint }, cancellationToken)).SingleOrDefault();

    public const string NotificationColumns = """
        id AS "Id", group_key AS "GroupKey", destination AS "Destination", kind AS "Kind", title AS "Title", payload::text AS "Payload", alerts AS "Alerts",
        status AS "Status", attempts AS "Attempts", next_attempt_at AS "NextAttemptAt", last_error AS "LastError", created_at AS "CreatedAt", sent_at AS "SentAt",
        episode AS "Episode", fingerprints AS "Fingerprints", slack_channel AS "SlackChannel", slack_ts AS "SlackTs", retried_at AS "RetriedAt"
        """;

    /// <summary>
    /// Writes the evaluated instances, their transitions, the groups and the notifications they cause in one
    /// transaction: a notification exists exactly when the state change that caused it was stored.
    /// </summary>
    public async Task SaveAsync(IReadOnlyCollection<AlertInstance> instances, IReadOnlyCollection<AlertTransition> transitions, CancellationToken cancellationToken = default) =>
        await SaveAsync(instances, transitions, [], [], [], cancellationToken);

    public async Task SaveAsync(
        IReadOnlyCollection<AlertInstance> instances, IReadOnlyCollection<AlertTransition> transitions, IReadOnlyCollection<AlertGroup> groups,
        IReadOnlyCollection<string> endedGroups, IReadOnlyCollection<NewNotification> notifications, CancellationToken cancellationToken = default)
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
        foreach (var group in groups)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO alert_groups (group_key, destination, rule_name, service, notified, first_seen_at, last_notified_at)
                VALUES (@GroupKey, @Destination, @RuleName, @Service, @Notified, @FirstSeenAt, @LastNotifiedAt)
                ON CONFLICT (group_key) DO UPDATE SET notified = excluded.notified, last_notified_at = excluded.last_notified_at,
                    -- A change in the alerts clears the acknowledgement; one given since this evaluation read the group stays.
                    acknowledged_at = CASE WHEN alert_groups.notified = excluded.notified THEN alert_groups.acknowledged_at END,
                    acknowledged_by = CASE WHEN alert_groups.notified = excluded.notified THEN alert_groups.acknowledged_by END,
                    acknowledged_note = CASE WHEN alert_groups.notified = excluded.notified THEN alert_groups.acknowledged_note END
                """, new { group.GroupKey, group.Destination, group.RuleName, group.Service, Notified = group.Notified.ToArray(), group.FirstSeenAt, group.LastNotifiedAt },
                transaction, cancellationToken: cancellationToken));
        }
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM alert_groups WHERE group_key = ANY(@keys)", new { keys = endedGroups.ToArray() }, transaction, cancellationToken: cancellationToken));
        foreach (var notification in notifications)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO alert_notifications (group_key, destination, kind, title, payload, alerts, fingerprints, episode, created_at, next_attempt_at)
                VALUES (@GroupKey, @Destination, @Kind, @Title, @Payload, @Alerts, @Fingerprints, @Episode, @At, @At)
                """, new
            {
                notification.GroupKey, notification.Destination, notification.Kind, notification.Title, Payload = new JsonbParameter(notification.Payload),
                Alerts = notification.Fingerprints.Count, Fingerprints = notification.Fingerprints.ToArray(), notification.Episode, notification.At,
            },
                transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Queues a test message for a destination (sent by the sender like any notification).</summary>
    public async Task<long> QueueTestAsync(Destination to, string requestedBy, string? portalUrl, CancellationToken cancellationToken = default)
    {
        var destination = to.Name;
        var (title, payload) = ChannelMessages.Test(to.Kind, destination, requestedBy, portalUrl, DateTimeOffset.UtcNow);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO alert_notifications (group_key, destination, kind, title, payload, alerts) VALUES (@key, @destination, 'test', @title, @payload, 0) RETURNING id
            """, new { key = $"{destination}/test", destination, title, payload = new JsonbParameter(payload) }, cancellationToken: cancellationToken));
    }

    private static JsonbParameter Json(IReadOnlyDictionary<string, string> values) => new(JsonSerializer.Serialize(values));

    private async Task<IReadOnlyList<AlertInstance>> ReadAsync(string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<StoredInstance>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        return rows.Select(row => row.ToInstance()).ToList();
    }

    /// <summary>A jsonb parameter for Dapper.</summary>
    internal sealed class JsonbParameter(string json) : SqlMapper.ICustomQueryParameter
    {
        public void AddParameter(System.Data.IDbCommand command, string name) =>
            command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Jsonb) { Value = json });
    }

    private sealed class StoredGroup
    {
        public string GroupKey { get; init; } = "";
        public string Destination { get; init; } = "";
        public string RuleName { get; init; } = "";
        public string Service { get; init; } = "";
        public string[] Notified { get; init; } = [];
        public DateTimeOffset FirstSeenAt { get; init; }
        public DateTimeOffset? LastNotifiedAt { get; init; }
        public DateTimeOffset? AcknowledgedAt { get; init; }
        public string? AcknowledgedBy { get; init; }
        public string? AcknowledgedNote { get; init; }
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

/// <summary>A rule that fired in a window: how often, and its first alert.</summary>
public sealed record FiredRule(string Rule, string Severity, string? Service, int Times, DateTimeOffset First, string Fingerprint);
