using System.Net;
using System.Text;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Portal.Features.Alerts;

/// <summary>
/// Delivers the outbox (in the worker): the oldest due notification, locked for the attempt so that any number of
/// workers post it once. A failure is retried with exponential back-off (Slack's <c>429 Retry-After</c> honoured) until
/// <see cref="NotificationOptions.GiveUpAfterSeconds"/>, then the notification is dead; a refusal (4xx) is dead at once.
/// </summary>
public sealed class NotificationSender(
    NpgsqlDataSource dataSource, IHttpClientFactory httpClients, IOptions<SlackOptions> slack, IOptions<NotificationOptions> options, ILogger<NotificationSender> logger)
    : BackgroundService
{
    public const string HttpClientName = "slack";
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan LongestBackOff = TimeSpan.FromMinutes(5);

    private sealed record Outcome(bool Sent, TimeSpan? RetryIn, string? Error);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await SendNextAsync(stoppingToken))
                {
                    await Task.Delay(PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                // The portal's database is away: the outbox waits for it, nothing is lost.
                logger.LogWarning(ex, "The notification outbox cannot be read; retrying in 5 s");
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }

    /// <summary>Attempts the oldest due notification; false when none is due.</summary>
    public async Task<bool> SendNextAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var due = await connection.QueryFirstOrDefaultAsync<AlertNotification>(new CommandDefinition($"""
            SELECT {AlertStore.NotificationColumns} FROM alert_notifications
            WHERE status = 'pending' AND next_attempt_at <= now()
            ORDER BY next_attempt_at, id LIMIT 1
            FOR UPDATE SKIP LOCKED
            """, transaction: transaction, cancellationToken: cancellationToken));
        if (due is null)
        {
            return false;
        }
        var outcome = await DeliverAsync(due, cancellationToken);
        var giveUpAt = due.CreatedAt + TimeSpan.FromSeconds(options.Value.GiveUpAfterSeconds);
        var status = outcome.Sent ? "sent" : outcome.RetryIn is { } wait && DateTimeOffset.UtcNow + wait <= giveUpAt ? "pending" : "dead";
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE alert_notifications
            SET status = @status, attempts = attempts + 1, last_error = @error,
                sent_at = CASE WHEN @status = 'sent' THEN now() END,
                next_attempt_at = now() + make_interval(secs => @retrySeconds)
            WHERE id = @Id
            """, new { status, error = outcome.Error, retrySeconds = outcome.RetryIn?.TotalSeconds ?? 0, due.Id }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        if (status != "sent")
        {
            logger.LogWarning("Notification {Id} ({Title}) not delivered ({Status}, attempt {Attempt}): {Error}", due.Id, due.Title, status, due.Attempts + 1, outcome.Error);
        }
        return true;
    }

    private async Task<Outcome> DeliverAsync(AlertNotification notification, CancellationToken cancellationToken)
    {
        if (notification.Destination != NotificationPolicy.DefaultDestination || slack.Value.WebhookUrl is not { Length: > 0 } webhook)
        {
            return new Outcome(false, null, $"no Slack destination '{notification.Destination}' is configured (set Slack:WebhookUrl)");
        }
        var backOff = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, notification.Attempts), LongestBackOff.TotalSeconds));
        try
        {
            using var content = new StringContent(notification.Payload, Encoding.UTF8, "application/json");
            using var response = await httpClients.CreateClient(HttpClientName).PostAsync(new Uri(webhook), content, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return new Outcome(true, null, null);
            }
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var error = $"Slack answered {(int)response.StatusCode} {body[..Math.Min(body.Length, 200)]}".Trim();
            return response.StatusCode switch
            {
                HttpStatusCode.TooManyRequests => new Outcome(false, response.Headers.RetryAfter?.Delta ?? backOff, error),
                >= HttpStatusCode.InternalServerError or HttpStatusCode.RequestTimeout => new Outcome(false, backOff, error),
                _ => new Outcome(false, null, error), // Slack refused the message: sending it again would not help
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The webhook's address is a secret: the error names the destination, never the URL.
            return new Outcome(false, backOff, $"Slack unreachable: {ex.GetType().Name}");
        }
    }
}
