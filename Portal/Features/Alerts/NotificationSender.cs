using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.Options;
using MailKit.Net.Smtp;
using MimeKit;
using Npgsql;
using Portal.Features.Reports;

namespace Portal.Features.Alerts;

/// <summary>
/// Delivers the outbox (in the worker): the oldest due notification, locked for the attempt so that any number of
/// workers post it once, and never before an earlier notification of its episode (a resolution does not overtake its
/// alert). A failure is retried with exponential back-off (Slack's <c>429 Retry-After</c> honoured) until
/// <see cref="NotificationOptions.GiveUpAfterSeconds"/>, then the notification is dead; a refusal (4xx) is dead at once.
/// Through a bot token, every later notification of an episode is posted in the thread of its first message.
/// </summary>
public sealed class NotificationSender(
    NpgsqlDataSource dataSource, IHttpClientFactory httpClients, SlackDestinations slack, NotificationDestinations destinations, ReportMailer mailer,
    IOptions<NotificationOptions> options, ILogger<NotificationSender> logger)
    : BackgroundService
{
    public const string HttpClientName = "slack";
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan LongestBackOff = TimeSpan.FromMinutes(5);

    private sealed record Outcome(bool Sent, TimeSpan? RetryIn, string? Error, string? Channel = null, string? Ts = null);

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
            SELECT {AlertStore.NotificationColumns} FROM alert_notifications n
            WHERE status = 'pending' AND next_attempt_at <= now()
              AND NOT EXISTS (SELECT FROM alert_notifications earlier
                              WHERE earlier.group_key = n.group_key AND earlier.episode = n.episode AND earlier.id < n.id AND earlier.status = 'pending')
            ORDER BY next_attempt_at, id LIMIT 1
            FOR UPDATE SKIP LOCKED
            """, transaction: transaction, cancellationToken: cancellationToken));
        if (due is null)
        {
            return false;
        }
        var outcome = await DeliverAsync(connection, transaction, due, cancellationToken);
        var giveUpAt = (due.RetriedAt ?? due.CreatedAt) + TimeSpan.FromSeconds(options.Value.GiveUpAfterSeconds);
        var status = outcome.Sent ? "sent" : outcome.RetryIn is { } wait && DateTimeOffset.UtcNow + wait <= giveUpAt ? "pending" : "dead";
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE alert_notifications
            SET status = @status, attempts = attempts + 1, last_error = @error,
                sent_at = CASE WHEN @status = 'sent' THEN now() END,
                next_attempt_at = now() + make_interval(secs => @retrySeconds),
                slack_channel = @Channel, slack_ts = @Ts
            WHERE id = @Id
            """, new { status, error = outcome.Error, retrySeconds = outcome.RetryIn?.TotalSeconds ?? 0, outcome.Channel, outcome.Ts, due.Id }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        if (status != "sent")
        {
            logger.LogWarning("Notification {Id} ({Title}) not delivered ({Status}, attempt {Attempt}): {Error}", due.Id, due.Title, status, due.Attempts + 1, outcome.Error);
        }
        return true;
    }

    private async Task<Outcome> DeliverAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AlertNotification notification, CancellationToken cancellationToken)
    {
        var backOff = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, notification.Attempts), LongestBackOff.TotalSeconds));
        if (destinations.Find(notification.Destination) is not { } destination)
        {
            return new Outcome(false, null, destinations.NotConfigured(notification.Destination));
        }
        if (destination.Kind == DestinationKinds.Slack)
        {
            return await SlackAsync(connection, transaction, notification, slack.Find(notification.Destination)!, backOff, cancellationToken);
        }
        var settings = destinations.Settings(notification.Destination)!;
        return destination.Kind == DestinationKinds.Email
            ? await EmailAsync(notification, settings, backOff, cancellationToken)
            : await HttpAsync(destination.Kind, notification, settings, backOff, cancellationToken);
    }

    private static readonly Dictionary<string, string> ChannelNames = new(StringComparer.Ordinal)
    {
        [DestinationKinds.PagerDuty] = "PagerDuty", [DestinationKinds.Opsgenie] = "Opsgenie", [DestinationKinds.Teams] = "Teams", [DestinationKinds.Webhook] = "The webhook",
    };

    /// <summary>
    /// PagerDuty, Opsgenie, Teams and webhooks: the stored message, with the destination's key or address added now (never
    /// stored, never in an error). Any 2xx is delivered; 429, 408 and 5xx are retried (Retry-After honoured); any other
    /// answer is a refusal that sending again would not change.
    /// </summary>
    private async Task<Outcome> HttpAsync(string channel, AlertNotification notification, DestinationOptions settings, TimeSpan backOff, CancellationToken cancellationToken)
    {
        var name = ChannelNames[channel];
        using var request = new HttpRequestMessage(HttpMethod.Post, (Uri?)null);
        var payload = notification.Payload;
        switch (channel)
        {
            case DestinationKinds.PagerDuty:
                var pagerDuty = JsonNode.Parse(payload)!.AsObject();
                pagerDuty["routing_key"] = settings.RoutingKey;
                payload = pagerDuty.ToJsonString();
                request.RequestUri = NotificationDestinations.Absolute(settings.Url) ?? new Uri(NotificationDestinations.PagerDutyEventsUrl);
                break;
            case DestinationKinds.Opsgenie:
                var opsgenie = JsonNode.Parse(payload)!.AsObject();
                var api = NotificationDestinations.Absolute(settings.Url) ?? new Uri(NotificationDestinations.OpsgenieApiUrl);
                var alias = opsgenie["alias"]!.GetValue<string>();
                // Create, or act on the alert its alias names (close, acknowledge).
                request.RequestUri = opsgenie["action"]!.GetValue<string>() is "close" or "acknowledge"
                    ? new Uri(api, $"v2/alerts/{Uri.EscapeDataString(alias)}/{opsgenie["action"]!.GetValue<string>()}?identifierType=alias")
                    : new Uri(api, "v2/alerts");
                request.Headers.Authorization = new AuthenticationHeaderValue("GenieKey", settings.ApiKey);
                payload = opsgenie["body"]!.ToJsonString();
                break;
            default:
                request.RequestUri = NotificationDestinations.Absolute(settings.Url);
                if (settings.BearerToken is { Length: > 0 } bearer)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
                }
                break;
        }
        request.Content = new StringContent(payload, Encoding.UTF8, "application/json");
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return new Outcome(true, null, null);
            }
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var error = $"{name} answered {(int)response.StatusCode} {body[..Math.Min(body.Length, 200)]}".Trim();
            return response.StatusCode switch
            {
                HttpStatusCode.TooManyRequests => new Outcome(false, response.Headers.RetryAfter?.Delta ?? backOff, error),
                >= HttpStatusCode.InternalServerError or HttpStatusCode.RequestTimeout => new Outcome(false, backOff, error),
                _ => new Outcome(false, null, error),
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Outcome(false, backOff, $"{name} unreachable: {ex.GetType().Name}");
        }
    }

    /// <summary>
    /// E-mail through the report's SMTP settings, text and HTML. A server that refuses the message or its recipients
    /// (5xx) is a refusal; one that is away or busy (4xx, no connection) is retried.
    /// </summary>
    private async Task<Outcome> EmailAsync(AlertNotification notification, DestinationOptions settings, TimeSpan backOff, CancellationToken cancellationToken)
    {
        if (!mailer.Configured)
        {
            return new Outcome(false, null, "no SMTP server is configured for e-mail destinations (set Smtp:Host)");
        }
        var stored = JsonNode.Parse(notification.Payload)!;
        var message = new MimeMessage { Subject = stored["subject"]!.GetValue<string>() };
        message.From.Add(mailer.From);
        try
        {
            message.To.AddRange(InternetAddressList.Parse(settings.To ?? ""));
        }
        catch (ParseException)
        {
            return new Outcome(false, null, "the destination's To is not a list of e-mail addresses");
        }
        message.Body = new BodyBuilder { TextBody = stored["text"]!.GetValue<string>(), HtmlBody = stored["html"]!.GetValue<string>() }.ToMessageBody();
        try
        {
            await mailer.SendAsync(message, cancellationToken);
            return new Outcome(true, null, null);
        }
        catch (SmtpCommandException ex) when ((int)ex.StatusCode >= 500)
        {
            return new Outcome(false, null, $"The SMTP server refused it: {(int)ex.StatusCode} {ex.Message}");
        }
        catch (Exception ex) when (ex is SmtpCommandException or SmtpProtocolException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return new Outcome(false, backOff, $"The SMTP server could not take it: {ex.GetType().Name}: {ex.Message}");
        }
        catch (MailKit.Security.AuthenticationException)
        {
            return new Outcome(false, null, "The SMTP server refused the portal's credentials");
        }
    }

    private async Task<Outcome> SlackAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, AlertNotification notification, SlackDestinations.Endpoint endpoint, TimeSpan backOff, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url);
            var payload = notification.Payload;
            if (endpoint.Token is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                payload = await WebApiPayloadAsync(connection, transaction, notification, endpoint.Channel!, cancellationToken);
            }
            request.Content = new StringContent(payload, Encoding.UTF8, "application/json");
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return endpoint.Token is null ? new Outcome(true, null, null) : WebApiOutcome(body, backOff);
            }
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
            // The destination's address and token are secrets: the error names the destination, never them.
            return new Outcome(false, backOff, $"Slack unreachable: {ex.GetType().Name}");
        }
    }

    // chat.postMessage takes the webhook's message with the channel, and the thread of the episode's first message
    // once there is one (a dead first message leaves the rest in the channel).
    private static async Task<string> WebApiPayloadAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, AlertNotification notification, string channel, CancellationToken cancellationToken)
    {
        var message = JsonNode.Parse(notification.Payload)!.AsObject();
        message["channel"] = channel;
        var thread = notification.Episode is null ? null : await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition("""
            SELECT slack_ts FROM alert_notifications
            WHERE group_key = @GroupKey AND episode = @Episode AND id < @Id AND slack_ts IS NOT NULL ORDER BY id LIMIT 1
            """, notification, transaction, cancellationToken: cancellationToken));
        if (thread is not null)
        {
            message["thread_ts"] = thread;
        }
        return message.ToJsonString();
    }

    // The Web API answers 200 with { ok, error } (and 429 when rate limited, handled with the other statuses); its
    // own failures are worth retrying, a refusal (channel_not_found, invalid_auth…) is not.
    private static Outcome WebApiOutcome(string body, TimeSpan backOff)
    {
        try
        {
            var answer = JsonNode.Parse(body);
            if (answer?["ok"]?.GetValue<bool>() == true)
            {
                return new Outcome(true, null, null, answer["channel"]?.GetValue<string>(), answer["ts"]?.GetValue<string>());
            }
            var error = answer?["error"]?.GetValue<string>() ?? "not ok";
            return new Outcome(false, error is "internal_error" or "fatal_error" or "service_unavailable" or "request_timeout" ? backOff : null, $"Slack answered {error}");
        }
        catch (JsonException)
        {
            return new Outcome(false, null, "Slack's answer was not JSON");
        }
    }
}
