using Dapper;
using Npgsql;

namespace Portal.Features.Jobs;

/// <summary>The job catalogue (<c>job_definitions</c>) and run history (<c>job_runs</c>): written by the worker, read by the Jobs page and API.</summary>
public sealed class JobRunStore(NpgsqlDataSource dataSource)
{
    private const string RunColumns = """
        id AS "Id", job_id AS "JobId", hangfire_job_id AS "HangfireJobId", node AS "Node", trigger AS "Trigger",
        triggered_by AS "TriggeredBy", attempt AS "Attempt", enqueued_at AS "EnqueuedAt", started_at AS "StartedAt",
        finished_at AS "FinishedAt", duration_ms AS "DurationMs", outcome AS "Outcome", error_type AS "ErrorType",
        error_message AS "ErrorMessage", error_stack AS "ErrorStack", summary AS "Summary",
        progress_percent AS "ProgressPercent", progress_message AS "ProgressMessage"
        """;

    private const string DefinitionColumns = """
        id AS "Id", title AS "Title", description AS "Description", cron AS "Cron", time_zone AS "TimeZone", queue AS "Queue",
        timeout_seconds AS "TimeoutSeconds", freshness_seconds AS "FreshnessSeconds", retries AS "Retries",
        paused AS "Paused", paused_by AS "PausedBy", paused_at AS "PausedAt", registered_at AS "RegisteredAt"
        """;

    // ---- catalogue

    /// <summary>
    /// Registers the catalogue a worker runs: entries upserted (pause state and first registration kept: a worker that
    /// restarts does not make a job that never succeeded young again), entries no longer listed deleted.
    /// </summary>
    public async Task SyncDefinitionsAsync(IReadOnlyList<JobDefinitionRow> definitions, CancellationToken cancellationToken = default)
    {
        const string upsert = """
            INSERT INTO job_definitions (id, title, description, cron, time_zone, queue, timeout_seconds, freshness_seconds, retries)
            VALUES (@Id, @Title, @Description, @Cron, @TimeZone, @Queue, @TimeoutSeconds, @FreshnessSeconds, @Retries)
            ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description, cron = excluded.cron,
                time_zone = excluded.time_zone, queue = excluded.queue, timeout_seconds = excluded.timeout_seconds,
                freshness_seconds = excluded.freshness_seconds, retries = excluded.retries
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(upsert, definitions, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM job_definitions WHERE NOT (id = ANY(@ids))",
            new { ids = definitions.Select(definition => definition.Id).ToArray() }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<JobDefinitionRow>> GetDefinitionsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<JobDefinitionRow>(new CommandDefinition(
            $"SELECT {DefinitionColumns} FROM job_definitions ORDER BY title", cancellationToken: cancellationToken))).AsList();
    }

    public async Task<JobDefinitionRow?> GetDefinitionAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<JobDefinitionRow>(new CommandDefinition(
            $"SELECT {DefinitionColumns} FROM job_definitions WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <returns>The definition before the change, or null for an unknown job.</returns>
    public async Task<JobDefinitionRow?> SetPausedAsync(string id, bool paused, string by, CancellationToken cancellationToken = default)
    {
        var before = await GetDefinitionAsync(id, cancellationToken);
        if (before is null)
        {
            return null;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE job_definitions
            SET paused = @paused, paused_by = CASE WHEN @paused THEN @by END, paused_at = CASE WHEN @paused THEN now() END
            WHERE id = @id
            """, new { id, paused, by }, cancellationToken: cancellationToken));
        return before;
    }

    public async Task<bool> IsPausedAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT coalesce((SELECT paused FROM job_definitions WHERE id = @id), false)", new { id }, cancellationToken: cancellationToken));
    }

    // ---- runs, as the worker records them

    public async Task<long> StartRunAsync(string jobId, string hangfireJobId, string node, string trigger, string? triggeredBy, int attempt, DateTimeOffset? enqueuedAt, string outcome)
    {
        // A run of the same Hangfire job still marked running belonged to a worker that died mid-run.
        const string sql = """
            WITH lost AS (
                UPDATE job_runs SET outcome = 'failed', finished_at = now(), error_type = 'WorkerLost',
                    error_message = 'The worker running it stopped; Hangfire ran the job again after its invisibility timeout.'
                WHERE hangfire_job_id = @hangfireJobId AND outcome = 'running'
            )
            INSERT INTO job_runs (job_id, hangfire_job_id, node, trigger, triggered_by, attempt, enqueued_at, outcome, finished_at, duration_ms)
            VALUES (@jobId, @hangfireJobId, @node, @trigger, @triggeredBy, @attempt, @enqueuedAt, @outcome,
                    CASE WHEN @outcome = 'running' THEN NULL ELSE now() END, CASE WHEN @outcome = 'running' THEN NULL ELSE 0 END)
            RETURNING id
            """;
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql, new { jobId, hangfireJobId, node, trigger, triggeredBy, attempt, enqueuedAt, outcome });
    }

    public async Task FinishRunAsync(long runId, string outcome, string? summary, Exception? error)
    {
        const string sql = """
            UPDATE job_runs
            SET finished_at = now(), duration_ms = extract(epoch FROM now() - started_at) * 1000, outcome = @outcome,
                summary = @summary, error_type = @errorType, error_message = @errorMessage, error_stack = @errorStack,
                progress_percent = CASE WHEN @outcome = 'succeeded' THEN 100 ELSE progress_percent END
            WHERE id = @runId
            """;
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, new
        {
            runId,
            outcome,
            summary,
            errorType = error?.GetType().FullName,
            errorMessage = error?.Message,
            errorStack = error?.ToString(),
        });
    }

    public async Task ReportProgressAsync(long runId, int percent, string? message, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE job_runs SET progress_percent = @percent, progress_message = @message WHERE id = @runId AND outcome = 'running'",
            new { runId, percent = (short)Math.Clamp(percent, 0, 100), message }, cancellationToken: cancellationToken));
    }

    /// <returns>How many runs were deleted.</returns>
    public async Task<int> DeleteRunsOlderThanAsync(TimeSpan age, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM job_runs WHERE started_at < now() - @age AND outcome <> 'running'", new { age }, cancellationToken: cancellationToken));
    }

    // ---- reads for the Jobs page and API

    public async Task<IReadOnlyList<JobRun>> GetRunsAsync(JobRunQuery query, CancellationToken cancellationToken = default)
    {
        const string sql = $"""
            SELECT {RunColumns} FROM job_runs
            WHERE (@JobId::text IS NULL OR job_id = @JobId)
              AND (@Outcome::text IS NULL OR outcome = @Outcome)
              AND (@Since::timestamptz IS NULL OR started_at >= @Since)
              AND (@Until::timestamptz IS NULL OR started_at < @Until)
            ORDER BY started_at DESC, id DESC
            LIMIT @Limit
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<JobRun>(new CommandDefinition(sql, query, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<JobRun?> GetRunAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<JobRun>(new CommandDefinition(
            $"SELECT {RunColumns} FROM job_runs WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>The latest run of each job (running ones included).</summary>
    public async Task<IReadOnlyDictionary<string, JobRun>> GetLastRunsAsync(CancellationToken cancellationToken = default)
    {
        const string sql = $"""
            SELECT DISTINCT ON (job_id) {RunColumns} FROM job_runs
            ORDER BY job_id, started_at DESC, id DESC
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<JobRun>(new CommandDefinition(sql, cancellationToken: cancellationToken))).ToDictionary(run => run.JobId);
    }

    public async Task<IReadOnlyDictionary<string, JobStatistics>> GetStatisticsAsync(int recentRuns = 50, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT j.id AS "JobId",
                   (SELECT max(finished_at) FROM job_runs r WHERE r.job_id = j.id AND r.outcome = 'succeeded') AS "LastSuccessAt",
                   coalesce(array_agg(recent.duration_ms ORDER BY recent.started_at) FILTER (WHERE recent.id IS NOT NULL), '{}') AS "RecentDurationsMs",
                   count(recent.id)::int AS "RecentRuns",
                   count(recent.id) FILTER (WHERE recent.outcome = 'succeeded')::int AS "RecentSuccesses"
            FROM job_definitions j
            LEFT JOIN LATERAL (
                SELECT id, started_at, duration_ms, outcome FROM job_runs r
                WHERE r.job_id = j.id AND r.outcome IN ('succeeded', 'failed', 'timed_out', 'cancelled')
                ORDER BY started_at DESC LIMIT @recentRuns
            ) recent ON true
            GROUP BY j.id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<JobStatistics>(new CommandDefinition(sql, new { recentRuns }, cancellationToken: cancellationToken)))
            .ToDictionary(statistics => statistics.JobId);
    }

    /// <summary>
    /// Each job judged at each instant (not paused, registered by then) with its freshness then, by the one rule
    /// <see cref="JobFreshness.Of"/>: the job SLI's intervals, the JobStale alert rule's now, the report's period end.
    /// </summary>
    public async Task<IReadOnlyList<JobFreshnessAt>> FreshnessAtAsync(IReadOnlyCollection<DateTimeOffset> instants, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT e.at AS "At", d.id AS "JobId",
                   (SELECT max(finished_at) FROM job_runs r
                    WHERE r.job_id = d.id AND r.outcome = 'succeeded' AND r.finished_at <= e.at) AS "LastSuccessAt"
            FROM unnest(@instants) AS e(at)
            JOIN job_definitions d ON NOT d.paused AND d.registered_at <= e.at
            ORDER BY e.at, d.id
            """;
        if (instants.Count == 0)
        {
            return [];
        }
        var definitions = (await GetDefinitionsAsync(cancellationToken)).ToDictionary(definition => definition.Id);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(DateTime At, string JobId, DateTime? LastSuccessAt)>(new CommandDefinition(sql,
            new { instants = instants.ToArray() }, cancellationToken: cancellationToken));
        return rows.Where(row => definitions.ContainsKey(row.JobId)).Select(row =>
        {
            var at = new DateTimeOffset(row.At, TimeSpan.Zero);
            var lastSuccess = row.LastSuccessAt is { } success ? new DateTimeOffset(success, TimeSpan.Zero) : (DateTimeOffset?)null;
            var definition = definitions[row.JobId];
            return new JobFreshnessAt(at, definition, lastSuccess, JobFreshness.Of(definition, lastSuccess, at));
        }).ToList();
    }

    /// <summary>The jobs whose runs failed or timed out between two instants: how often, and the last error.</summary>
    public async Task<IReadOnlyList<JobFailures>> FailuresAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT job_id AS "JobId", count(*)::int AS "Times", (array_agg(error_message ORDER BY started_at DESC))[1] AS "LastError"
            FROM job_runs WHERE outcome IN ('failed', 'timed_out') AND started_at >= @from AND started_at < @to
            GROUP BY job_id ORDER BY count(*) DESC, job_id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<JobFailures>(new CommandDefinition(sql, new { from, to }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<JobRunCounts> CountRunsSinceAsync(TimeSpan window, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT count(*) FILTER (WHERE outcome = 'succeeded')::int AS "Succeeded",
                   count(*) FILTER (WHERE outcome IN ('failed', 'timed_out'))::int AS "Failed",
                   count(*) FILTER (WHERE outcome = 'running')::int AS "Running",
                   count(*) FILTER (WHERE outcome = 'skipped')::int AS "Skipped"
            FROM job_runs WHERE started_at > now() - @window
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<JobRunCounts>(new CommandDefinition(sql, new { window }, cancellationToken: cancellationToken));
    }
}
