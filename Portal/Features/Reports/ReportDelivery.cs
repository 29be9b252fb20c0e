using Portal.Components;
using Dapper;
using MimeKit;
using Npgsql;
using Portal.Features.Jobs;

namespace Portal.Features.Reports;

/// <summary>
/// The report-delivery job's work (every minute): each subscription's due period gets one delivery row per recipient
/// (unique, so a period is planned once however often this runs), its report is generated and archived once, and every
/// pending delivery is sent — a failure retried with back-off until <see cref="GiveUpAfter"/>, each row locked while it
/// is sent so that no two workers send it. A period without data is skipped when the subscription says so.
/// </summary>
public sealed class ReportDelivery(
    NpgsqlDataSource dataSource, ReportSubscriptions subscriptions, Reports reports, ReportArchive archive, BaselineReportBuilder builder, ReportMail mail,
    TimeProvider time, ILogger<ReportDelivery> logger)
{
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromDays(1);
    public static readonly TimeSpan LongestBackOff = TimeSpan.FromHours(1);

    public async Task<string> RunAsync(IJobProgress progress, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var (planned, skipped, paused) = (0, 0, 0);
        foreach (var subscription in await subscriptions.ListAsync(cancellationToken: cancellationToken))
        {
            if (subscription.DueAt(now) is not { } period)
            {
                continue;
            }
            // A subscription does not outlive its owner: nothing goes out while they are disabled (the Reports page says so).
            if (await subscriptions.PausedBecauseAsync(subscription, cancellationToken) is not null)
            {
                paused++;
                continue;
            }
            var (created, skip) = await PlanAsync(subscription, period, cancellationToken);
            (planned, skipped) = (planned + created, skipped + skip);
        }
        await progress.ReportAsync(50, "sending", cancellationToken);
        var (sent, failed) = (0, 0);
        while (await SendNextAsync(cancellationToken) is { } outcome)
        {
            (sent, failed) = outcome ? (sent + 1, failed) : (sent, failed + 1);
        }
        return $"{planned} deliveries planned, {skipped} skipped without data, {paused} subscriptions paused (owner disabled), {sent} sent, {failed} failed";
    }

    // In one transaction: the period's rows (a second worker waits on them, then finds them planned), its report
    // generated and archived once for all its recipients, the rows pointed at it. A crash rolls the plan back whole.
    private async Task<(int Planned, int Skipped)> PlanAsync(ReportSubscription subscription, ReportPeriod period, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = (await connection.QueryAsync<long>(new CommandDefinition("""
            INSERT INTO report_deliveries (subscription_id, period_start, recipient)
            SELECT @Id, @start, recipient FROM unnest(@recipients::text[]) AS recipient
            ON CONFLICT (subscription_id, period_start, recipient) DO NOTHING
            RETURNING id
            """, new { subscription.Id, start = period.Start, recipients = subscription.Recipients.ToArray() }, transaction, cancellationToken: cancellationToken))).AsList();
        if (inserted.Count == 0)
        {
            return (0, 0);
        }
        var report = await builder.BuildAsync(subscription.Scope, period, cancellationToken);
        if (!report.HasData && subscription.SkipWithoutData)
        {
            await connection.ExecuteAsync(new CommandDefinition("UPDATE report_deliveries SET status = 'skipped', last_error = 'no data for the period' WHERE id = ANY(@inserted)",
                new { inserted = inserted.ToArray() }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return (0, inserted.Count);
        }
        var reportId = await archive.SaveAsync(report, await mail.ArchiveHtmlAsync(report, reports.PortalUrl), "schedule", cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE report_deliveries SET report_id = @reportId WHERE id = ANY(@inserted)",
            new { reportId, inserted = inserted.ToArray() }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return (inserted.Count, 0);
    }

    /// <returns>Null when nothing is due; whether the delivery attempted was sent.</returns>
    public async Task<bool?> SendNextAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var due = await connection.QueryFirstOrDefaultAsync<(long Id, long SubscriptionId, string Recipient, long ReportId, int Attempts, DateTimeOffset CreatedAt)?>(new CommandDefinition("""
            SELECT id, subscription_id, recipient, report_id, attempts, created_at FROM report_deliveries
            WHERE status = 'pending' AND report_id IS NOT NULL AND next_attempt_at <= now()
            ORDER BY next_attempt_at, id LIMIT 1
            FOR UPDATE SKIP LOCKED
            """, transaction: transaction, cancellationToken: cancellationToken));
        if (due is not { } delivery)
        {
            return null;
        }
        string? error = null;
        try
        {
            var stored = await archive.GetAsync(delivery.ReportId, cancellationToken) ?? throw new InvalidOperationException($"report {delivery.ReportId} is no longer in the archive");
            // Every subscribed e-mail carries its unsubscribe link, which needs the portal's address.
            var root = reports.PortalUrl is { Length: > 0 } url ? url.TrimEnd('/')
                : throw new InvalidOperationException("PortalUrl is not set: a subscribed report needs it for its unsubscribe link (set PortalUrl, environment PortalUrl)");
            var unsubscribe = PortalLinks.Absolute(root, PortalLinks.Unsubscribe(await subscriptions.UnsubscribeTokenAsync(delivery.SubscriptionId, delivery.Recipient, cancellationToken)));
            await reports.SendAsync(delivery.ReportId, ReportArchive.Read(stored.DataJson), MailboxAddress.Parse(delivery.Recipient), unsubscribe, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The server's answer, never the credentials (MailKit's messages do not carry them).
            error = $"{ex.GetType().Name}: {ex.Message}";
            logger.LogWarning("Report delivery {Id} to {Recipient} failed (attempt {Attempt}): {Error}", delivery.Id, delivery.Recipient, delivery.Attempts + 1, error);
        }
        var backOff = TimeSpan.FromMinutes(Math.Min(Math.Pow(2, delivery.Attempts), LongestBackOff.TotalMinutes));
        var status = error is null ? "sent" : time.GetUtcNow() + backOff - delivery.CreatedAt > GiveUpAfter ? "dead" : "pending";
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE report_deliveries SET status = @status, attempts = attempts + 1, last_error = @error, next_attempt_at = now() + @backOff,
                sent_at = CASE WHEN @status = 'sent' THEN now() END
            WHERE id = @Id
            """, new { status, error, backOff, delivery.Id }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return error is null;
    }
}
