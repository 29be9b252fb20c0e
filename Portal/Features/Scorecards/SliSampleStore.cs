using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Portal.Features.Scorecards;

/// <summary>How far an objective has been evaluated, and the source's error if the last attempt failed.</summary>
/// <param name="FirstSampleAt">The objective's oldest sample kept (an interval's end, or a rolled-up day's start): since when it is observed.</param>
/// <param name="LastSampleAt">Its newest sample (an interval's end, or a rolled-up day's end): when its source last answered.</param>
public sealed record SliEvaluationState(
    string ObjectiveId, DateTimeOffset EvaluatedThrough, DateTimeOffset EvaluatedAt, string? LastError, DateTimeOffset? FirstSampleAt, DateTimeOffset? LastSampleAt);

/// <summary>
/// The <c>sli_samples</c> (5-minute), <c>sli_daily</c> (nightly rollups) and <c>sli_evaluations</c> tables. Reads give
/// a window as daily rows up to <see cref="RawDays"/> days ago and 5-minute samples after (what burn rates need).
/// </summary>
public sealed class SliSampleStore(NpgsqlDataSource dataSource)
{
    /// <summary>The recent days read at 5-minute resolution: the longest burn-rate window (3 days) and the day it starts in.</summary>
    public const int RawDays = 3;

    /// <summary>Replaces the samples of the intervals in (from, to] and moves the objective's evaluation mark to <paramref name="to"/>.</summary>
    public async Task WriteAsync(string objectiveId, DateTimeOffset from, DateTimeOffset to, IReadOnlyCollection<SliSample> samples, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sli_samples WHERE objective_id = @objectiveId AND at > @from AND at <= @to",
            new { objectiveId, from, to }, transaction, cancellationToken: cancellationToken));
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY sli_samples (objective_id, at, good, total, value, weight, le, counts, percentiles) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var sample in samples.Where(sample => sample.At > from && sample.At <= to))
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(objectiveId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(sample.At, NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync(sample.Good, NpgsqlDbType.Double, cancellationToken);
                await writer.WriteAsync(sample.Total, NpgsqlDbType.Double, cancellationToken);
                await WriteNullableAsync(writer, sample.Value, NpgsqlDbType.Double, cancellationToken);
                await WriteNullableAsync(writer, sample.Weight, NpgsqlDbType.Double, cancellationToken);
                await WriteNullableAsync(writer, sample.Le, NpgsqlDbType.Array | NpgsqlDbType.Double, cancellationToken);
                await WriteNullableAsync(writer, sample.Counts, NpgsqlDbType.Array | NpgsqlDbType.Double, cancellationToken);
                await WriteNullableAsync(writer, sample.Percentiles, NpgsqlDbType.Array | NpgsqlDbType.Double, cancellationToken);
            }
            await writer.CompleteAsync(cancellationToken);
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sli_evaluations (objective_id, evaluated_through, evaluated_at, last_error) VALUES (@objectiveId, @to, now(), NULL)
            ON CONFLICT (objective_id) DO UPDATE SET evaluated_through = greatest(sli_evaluations.evaluated_through, excluded.evaluated_through),
                evaluated_at = excluded.evaluated_at, last_error = NULL
            """, new { objectiveId, to }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Notes that the objective's source could not be read (its samples stay as they were).</summary>
    public async Task FailedAsync(string objectiveId, string error, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sli_evaluations (objective_id, evaluated_through, evaluated_at, last_error) VALUES (@objectiveId, '-infinity', now(), @error)
            ON CONFLICT (objective_id) DO UPDATE SET evaluated_at = excluded.evaluated_at, last_error = excluded.last_error
            """, new { objectiveId, error }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyDictionary<string, SliEvaluationState>> StatesAsync(CancellationToken cancellationToken = default) =>
        (await ReadStatesAsync(null, cancellationToken)).ToDictionary(row => row.ObjectiveId);

    /// <summary>One objective's state (what an alert rule about it needs, without every other objective's).</summary>
    public async Task<SliEvaluationState?> StateAsync(string objectiveId, CancellationToken cancellationToken = default) =>
        (await ReadStatesAsync(objectiveId, cancellationToken)).SingleOrDefault();

    private async Task<IEnumerable<SliEvaluationState>> ReadStatesAsync(string? objectiveId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QueryAsync<SliEvaluationState>(new CommandDefinition("""
            SELECT objective_id AS "ObjectiveId", evaluated_through AS "EvaluatedThrough", evaluated_at AS "EvaluatedAt", last_error AS "LastError",
                   least((SELECT min(at) FROM sli_samples s WHERE s.objective_id = e.objective_id),
                         (SELECT min(day)::timestamp AT TIME ZONE 'UTC' FROM sli_daily d WHERE d.objective_id = e.objective_id)) AS "FirstSampleAt",
                   greatest((SELECT max(at) FROM sli_samples s WHERE s.objective_id = e.objective_id),
                            (SELECT (max(day) + 1)::timestamp AT TIME ZONE 'UTC' FROM sli_daily d WHERE d.objective_id = e.objective_id)) AS "LastSampleAt"
            FROM sli_evaluations e
            WHERE @objectiveId::text IS NULL OR e.objective_id = @objectiveId
            """, new { objectiveId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Each objective's samples after <paramref name="from"/>: a row per day before the last <see cref="RawDays"/> days
    /// (whole days, at the day's end; 5-minute samples where a day is not rolled up yet), 5-minute samples after.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<SliSample>>> ReadAsync(
        IReadOnlyCollection<string> objectiveIds, DateTimeOffset from, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT objective_id AS "ObjectiveId", (day + 1)::timestamp AT TIME ZONE 'UTC' AS "At", good AS "Good", total AS "Total",
                   value AS "Value", weight AS "Weight", le AS "Le", counts AS "Counts", percentiles AS "Percentiles", true AS "Daily"
            FROM sli_daily
            WHERE objective_id = ANY(@ids) AND day >= (@from AT TIME ZONE 'UTC')::date AND day < @cutoffDay
            UNION ALL
            SELECT objective_id, at, good, total, value, weight, le, counts, percentiles, false
            FROM sli_samples s
            WHERE objective_id = ANY(@ids) AND at > @from
              AND (at > @cutoff OR NOT EXISTS (
                  SELECT 1 FROM sli_daily d WHERE d.objective_id = s.objective_id AND d.day = ((s.at - interval '1 microsecond') AT TIME ZONE 'UTC')::date))
            ORDER BY 2
            """;
        var cutoffDay = now.UtcDateTime.Date.AddDays(-RawDays);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<StoredSample>(new CommandDefinition(sql,
            new { ids = objectiveIds.ToArray(), from, cutoffDay, cutoff = new DateTimeOffset(cutoffDay, TimeSpan.Zero) }, cancellationToken: cancellationToken));
        var byObjective = rows.GroupBy(row => row.ObjectiveId).ToDictionary(group => group.Key, group => (IReadOnlyList<SliSample>)group.Select(row => row.ToSample()).ToList());
        return objectiveIds.ToDictionary(id => id, id => byObjective.GetValueOrDefault(id) ?? []);
    }

    /// <summary>
    /// Each objective's 5-minute samples in (from, to], wherever they are still kept (<c>Scorecards:RawRetentionDays</c>),
    /// rolled up or not, oldest first: what a backtest replays.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<SliSample>>> ReadRawAsync(
        IReadOnlyCollection<string> objectiveIds, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<StoredSample>(new CommandDefinition("""
            SELECT objective_id AS "ObjectiveId", at AS "At", good AS "Good", total AS "Total", value AS "Value", weight AS "Weight", le AS "Le",
                   counts AS "Counts", percentiles AS "Percentiles", false AS "Daily"
            FROM sli_samples WHERE objective_id = ANY(@ids) AND at > @from AND at <= @to ORDER BY at
            """, new { ids = objectiveIds.ToArray(), from, to }, cancellationToken: cancellationToken));
        var byObjective = rows.GroupBy(row => row.ObjectiveId).ToDictionary(group => group.Key, group => (IReadOnlyList<SliSample>)group.Select(row => row.ToSample()).ToList());
        return objectiveIds.ToDictionary(id => id, id => byObjective.GetValueOrDefault(id) ?? []);
    }

    /// <summary>
    /// Rolls up every whole UTC day before today that has samples and no daily row, and the two days before today
    /// again (a late evaluation may have added to them); then deletes samples older than <paramref name="rawRetention"/>
    /// whose day is rolled up, and daily rows older than <paramref name="dailyRetention"/>. Returns the daily rows written.
    /// </summary>
    public async Task<int> RollUpAsync(DateTimeOffset now, TimeSpan rawRetention, TimeSpan dailyRetention, CancellationToken cancellationToken = default)
    {
        // Latency buckets are summed element-wise among samples with the same bounds (the day's last bounds).
        const string sql = """
            WITH days AS (
                SELECT DISTINCT objective_id, ((at - interval '1 microsecond') AT TIME ZONE 'UTC')::date AS day
                FROM sli_samples
                WHERE at <= @today
            ),
            due AS (
                SELECT d.* FROM days d
                WHERE d.day >= @today::date - 2
                   OR NOT EXISTS (SELECT 1 FROM sli_daily r WHERE r.objective_id = d.objective_id AND r.day = d.day)
            ),
            samples AS (
                SELECT s.*, due.day, last_value(s.le) OVER (PARTITION BY s.objective_id, due.day ORDER BY s.at
                           ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS day_le
                FROM due JOIN sli_samples s ON s.objective_id = due.objective_id
                 AND s.at > due.day::timestamp AT TIME ZONE 'UTC' AND s.at <= (due.day + 1)::timestamp AT TIME ZONE 'UTC'
            ),
            buckets AS (
                SELECT objective_id, day, array_agg(count ORDER BY i) AS counts
                FROM (
                    SELECT objective_id, day, i, sum(c) AS count
                    FROM samples, unnest(counts) WITH ORDINALITY AS u(c, i)
                    WHERE le = day_le
                    GROUP BY objective_id, day, i
                ) summed
                GROUP BY objective_id, day
            ),
            vitals AS (
                SELECT objective_id, day, array_agg(p ORDER BY i) AS percentiles
                FROM (
                    SELECT objective_id, day, i, sum(v * weight) / nullif(sum(weight), 0) AS p
                    FROM samples, unnest(percentiles) WITH ORDINALITY AS u(v, i)
                    WHERE weight > 0
                    GROUP BY objective_id, day, i
                ) weighted
                GROUP BY objective_id, day
            ),
            rolled AS (
                SELECT objective_id, day, sum(good) AS good, sum(total) AS total,
                       sum(value * weight) FILTER (WHERE weight > 0) / nullif(sum(weight) FILTER (WHERE weight > 0 AND value IS NOT NULL), 0) AS value,
                       sum(weight) AS weight, max(day_le) AS le, count(*)::int AS samples
                FROM samples GROUP BY objective_id, day
            )
            INSERT INTO sli_daily (objective_id, day, good, total, value, weight, le, counts, percentiles, samples)
            SELECT r.objective_id, r.day, r.good, r.total, r.value, r.weight, r.le, b.counts, v.percentiles, r.samples
            FROM rolled r
            LEFT JOIN buckets b USING (objective_id, day)
            LEFT JOIN vitals v USING (objective_id, day)
            ON CONFLICT (objective_id, day) DO UPDATE SET good = excluded.good, total = excluded.total, value = excluded.value,
                weight = excluded.weight, le = excluded.le, counts = excluded.counts, percentiles = excluded.percentiles, samples = excluded.samples
            """;
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var written = await connection.ExecuteAsync(new CommandDefinition(sql, new { today }, commandTimeout: 600, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM sli_samples s WHERE at < @rawBefore AND EXISTS (
                SELECT 1 FROM sli_daily d WHERE d.objective_id = s.objective_id AND d.day = ((s.at - interval '1 microsecond') AT TIME ZONE 'UTC')::date);
            DELETE FROM sli_daily WHERE day < (@dailyBefore AT TIME ZONE 'UTC')::date;
            """, new { rawBefore = now - rawRetention, dailyBefore = now - dailyRetention }, commandTimeout: 600, cancellationToken: cancellationToken));
        return written;
    }

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter writer, T? value, NpgsqlDbType type, CancellationToken cancellationToken) =>
        value is null ? writer.WriteNullAsync(cancellationToken) : writer.WriteAsync(value, type, cancellationToken);

    private sealed class StoredSample
    {
        public string ObjectiveId { get; init; } = "";
        public DateTimeOffset At { get; init; }
        public double Good { get; init; }
        public double Total { get; init; }
        public double? Value { get; init; }
        public double? Weight { get; init; }
        public double[]? Le { get; init; }
        public double[]? Counts { get; init; }
        public double[]? Percentiles { get; init; }
        public bool Daily { get; init; }

        public SliSample ToSample() => new(At, Good, Total) { Value = Value, Weight = Weight, Le = Le, Counts = Counts, Percentiles = Percentiles, Daily = Daily };
    }
}
