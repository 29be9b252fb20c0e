using Dapper;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Prometheus;

namespace Portal.Features.Vitals;

/// <summary>An accepted event, as stored.</summary>
public sealed record VitalsEvent(
    string App, DateTimeOffset ReceivedAt, string Metric, double Value, double Delta, string Rating, string EventId, string? NavigationType,
    string Page, string Device, string? Connection, string? Release, string? Attribution)
{
    /// <summary>Which send of its instance this is (1 the first; INP and CLS are sent again as they change): the highest is kept.</summary>
    public short Report { get; init; } = 1;
}

/// <summary>
/// Group commit of accepted events: requests hand their events to a bounded queue and wait; one writer COPYs whatever
/// has gathered in one transaction and answers every request in it once it has committed. A request is answered 202
/// only after its events are durable; a full queue or a failed commit is a 503 and nothing of that request is kept.
/// </summary>
public sealed class VitalsWriter : BackgroundService
{
    private static readonly Counter Written = Metrics.CreateCounter("portal_vitals_events_written_total", "Web Vitals events committed to PostgreSQL.");
    private static readonly Counter Refused = Metrics.CreateCounter("portal_vitals_events_refused_total", "Accepted-looking events answered 503: queue full or the write failed.", "reason");
    private static readonly Histogram CommitSeconds = Metrics.CreateHistogram("portal_vitals_commit_seconds", "Time of one group commit (COPY and COMMIT).",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 12) });

    private sealed record Pending(IReadOnlyList<VitalsEvent> Events, TaskCompletionSource Committed);

    private readonly Channel<Pending> queue;
    private readonly NpgsqlDataSource dataSource;
    private readonly ILogger<VitalsWriter> logger;
    private readonly int batchSize;
    private readonly int capacity;
    private int queued; // events waiting, for the bound

    public VitalsWriter(NpgsqlDataSource dataSource, IOptions<VitalsOptions> options, ILogger<VitalsWriter> logger)
    {
        this.dataSource = dataSource;
        this.logger = logger;
        batchSize = options.Value.WriteBatchSize;
        capacity = options.Value.QueueCapacity;
        queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    }

    /// <summary>Queues the events and completes once they are committed; false at once when the queue is full.</summary>
    public bool TryEnqueue(IReadOnlyList<VitalsEvent> events, out Task committed)
    {
        if (Interlocked.Add(ref queued, events.Count) > capacity)
        {
            Interlocked.Add(ref queued, -events.Count);
            Refused.WithLabels("queue-full").Inc(events.Count);
            committed = Task.CompletedTask;
            return false;
        }
        var pending = new Pending(events, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        committed = pending.Committed.Task;
        if (!queue.Writer.TryWrite(pending))
        {
            Interlocked.Add(ref queued, -events.Count);
            return false;
        }
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var group = new List<Pending>();
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                group.Clear();
                var events = 0;
                while (events < batchSize && queue.Reader.TryRead(out var pending))
                {
                    group.Add(pending);
                    events += pending.Events.Count;
                }
                await CommitAsync(group, events, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is still queued was never acknowledged; its senders get an error and send again.
        }
        finally
        {
            queue.Writer.TryComplete();
            while (queue.Reader.TryRead(out var pending))
            {
                pending.Committed.TrySetException(new OperationCanceledException("The portal is stopping."));
            }
        }
    }

    private async Task CommitAsync(List<Pending> group, int events, CancellationToken stoppingToken)
    {
        try
        {
            using (CommitSeconds.NewTimer())
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                await using var transaction = await connection.BeginTransactionAsync(stoppingToken);
                var rows = await KeepLatestReportsAsync(connection, transaction, group, stoppingToken);
                await using (var writer = await connection.BeginBinaryImportAsync("""
                    COPY vitals_events (app, received_at, metric, value, delta, rating, event_id, navigation_type, page, device, connection, release, attribution, report)
                    FROM STDIN (FORMAT BINARY)
                    """, stoppingToken))
                {
                    foreach (var item in rows)
                    {
                        await writer.StartRowAsync(stoppingToken);
                        await writer.WriteAsync(item.App, NpgsqlDbType.Text, stoppingToken);
                        await writer.WriteAsync(item.ReceivedAt, NpgsqlDbType.TimestampTz, stoppingToken);
                        await writer.WriteAsync(item.Metric, NpgsqlDbType.Text, stoppingToken);
                        await writer.WriteAsync(item.Value, NpgsqlDbType.Double, stoppingToken);
                        await writer.WriteAsync(item.Delta, NpgsqlDbType.Double, stoppingToken);
                        await writer.WriteAsync(item.Rating, NpgsqlDbType.Text, stoppingToken);
                        await writer.WriteAsync(item.EventId, NpgsqlDbType.Text, stoppingToken);
                        await WriteNullableAsync(writer, item.NavigationType, stoppingToken);
                        await writer.WriteAsync(item.Page, NpgsqlDbType.Text, stoppingToken);
                        await writer.WriteAsync(item.Device, NpgsqlDbType.Text, stoppingToken);
                        await WriteNullableAsync(writer, item.Connection, stoppingToken);
                        await WriteNullableAsync(writer, item.Release, stoppingToken);
                        await WriteNullableAsync(writer, item.Attribution, stoppingToken);
                        await writer.WriteAsync(item.Report, NpgsqlDbType.Smallint, stoppingToken);
                    }
                    await writer.CompleteAsync(stoppingToken);
                }
                await transaction.CommitAsync(stoppingToken);
            }
            Written.Inc(events);
            foreach (var pending in group)
            {
                pending.Committed.TrySetResult();
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // Nothing of the group was committed (one transaction): every sender is told so, and may send again.
            logger.LogWarning("Could not write {Events} Web Vitals events; their {Requests} requests get 503: {Message}", events, group.Count, ex.Message);
            Refused.WithLabels("write-failed").Inc(events);
            foreach (var pending in group)
            {
                pending.Committed.TrySetException(ex);
            }
        }
        finally
        {
            Interlocked.Add(ref queued, -events);
        }
    }

    /// <summary>
    /// The rows to write. An INP or CLS instance is kept once, as its highest-numbered send: a stored copy with a lower
    /// number (of the last two days) is deleted in the same transaction, a group event with a lower number than a stored
    /// or a grouped copy is not written — whatever order two beacons of a hiding page arrive in. One page view counts
    /// once in the percentiles, with the value it ended with.
    /// </summary>
    private static async Task<IEnumerable<VitalsEvent>> KeepLatestReportsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<Pending> group,
        CancellationToken cancellationToken)
    {
        var all = group.SelectMany(pending => pending.Events);
        var latest = new Dictionary<(string App, string EventId, string Metric), VitalsEvent>();
        foreach (var item in all.Where(item => item.Metric is "INP" or "CLS"))
        {
            var key = (item.App, item.EventId, item.Metric);
            if (!latest.TryGetValue(key, out var seen) || item.Report >= seen.Report)
            {
                latest[key] = item; // the group keeps the order requests arrived in: of equal numbers (a retry), the last
            }
        }
        if (latest.Count == 0)
        {
            return all;
        }
        var keys = latest.Keys.ToList();
        var since = all.Min(item => item.ReceivedAt).AddDays(-2);
        var stored = (await connection.QueryAsync<(string App, string EventId, string Metric, short Report)>(new CommandDefinition("""
            SELECT e.app, e.event_id, e.metric, max(e.report)
            FROM vitals_events e JOIN unnest(@apps, @ids, @metrics) AS r(app, event_id, metric) ON e.app = r.app AND e.event_id = r.event_id AND e.metric = r.metric
            WHERE e.metric IN ('INP', 'CLS') AND e.received_at >= @since
            GROUP BY 1, 2, 3
            """, new { apps = keys.Select(key => key.App).ToArray(), ids = keys.Select(key => key.EventId).ToArray(), metrics = keys.Select(key => key.Metric).ToArray(), since },
            transaction, cancellationToken: cancellationToken))).ToDictionary(row => (row.App, row.EventId, row.Metric), row => row.Report);
        var superseded = new HashSet<(string, string, string)>(); // stored copies older than what this group brings
        foreach (var (key, item) in latest)
        {
            if (stored.TryGetValue(key, out var report))
            {
                if (report >= item.Report)
                {
                    latest.Remove(key); // the stored copy is as new or newer: nothing of this instance is written
                }
                else
                {
                    superseded.Add(key);
                }
            }
        }
        if (superseded.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                DELETE FROM vitals_events e USING unnest(@apps, @ids, @metrics) AS r(app, event_id, metric)
                WHERE e.app = r.app AND e.event_id = r.event_id AND e.metric = r.metric AND e.metric IN ('INP', 'CLS') AND e.received_at >= @since
                """, new { apps = superseded.Select(key => key.Item1).ToArray(), ids = superseded.Select(key => key.Item2).ToArray(),
                    metrics = superseded.Select(key => key.Item3).ToArray(), since }, transaction, cancellationToken: cancellationToken));
        }
        return all.Where(item => item.Metric is not ("INP" or "CLS") || (latest.TryGetValue((item.App, item.EventId, item.Metric), out var kept) && ReferenceEquals(kept, item)));
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter writer, string? value, CancellationToken cancellationToken) =>
        value is null ? writer.WriteNullAsync(cancellationToken) : writer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);
}
