using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Alerts;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Alerts;

/// <summary>
/// Routes to several destinations, a bot-token destination's threads, dead notifications sent again, and the outbox
/// surviving the worker's death — against a local receiver in Slack's place (webhook and Web API).
/// </summary>
public sealed class SlackRoutingTests : ClockAlertsTest
{
    private const string Token = "xoxb-test-token-123";
    private Dictionary<string, string?> configured = null!;

    // ClockBehind (payments, critical) goes to the payments channel and, being critical, to the webhook too;
    // ClockAlsoBehind (web, warning) is taken by no route: the default, the webhook.
    protected override string Rules => $$$"""
        burn_rate: []
        rules:
          - { name: ClockBehind, source: promql, query: "vector(time())", below: {{{ClearsAt.ToUnixTimeSeconds()}}}, severity: critical,
              labels: { service: checkout, team: payments }, annotations: { summary: "The clock reads {{ value }}" } }
          - { name: ClockAlsoBehind, source: promql, query: "vector(time())", above: 0, severity: warning, labels: { service: shop, team: web } }
        notifications:
          default: slack
          routes:
            - { match: { team: payments }, to: payments-oncall, continue: true }
            - { match: { severity: critical }, to: slack }
        """;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Slack:BotToken"] = Token;
        settings["Slack:ApiUrl"] = Receiver.ApiUrl;
        settings["Slack:Destinations:payments-oncall:Channel"] = "C0PAYMENTS";
        configured = settings;
    }

    private List<SlackReceiver.Received> ViaBot => Receiver.Messages.Where(message => message.Path == "/api/chat.postMessage").ToList();

    private List<SlackReceiver.Received> ViaWebhook => Receiver.Messages.Where(message => message.Path != "/api/chat.postMessage").ToList();

    [Fact]
    public async Task Routes_SendEachGroupToItsDestinations_AndTheBotThreadsTheRepeatAndTheResolution()
    {
        await EvaluateAtAsync(T0);
        await EvaluateAtAsync(T0.AddMinutes(1));     // group wait over: firing
        await EvaluateAtAsync(T0.AddMinutes(11));    // repeat interval over: repeat
        await EvaluateAtAsync(ClearsAt);             // ClockBehind clears: resolved
        await SendAllDueAsync();

        var bot = ViaBot;
        Assert.Equal(["[FIRING:1] ClockBehind — checkout", "[FIRING:1] ClockBehind — checkout", "[RESOLVED] ClockBehind — checkout"], bot.Select(message => message.Text));
        Assert.All(bot, message => Assert.Equal(("C0PAYMENTS", $"Bearer {Token}"), (message.Body.GetProperty("channel").GetString(), message.Authorization)));
        Assert.Null(bot[0].ThreadTs);
        Assert.Equal([bot[0].Ts, bot[0].Ts], bot.Skip(1).Select(message => message.ThreadTs));      // in the first message's thread
        Assert.Equal(
            ["[FIRING:1] ClockAlsoBehind — shop", "[FIRING:1] ClockAlsoBehind — shop", "[FIRING:1] ClockBehind — checkout", "[FIRING:1] ClockBehind — checkout", "[RESOLVED] ClockBehind — checkout"],
            ViaWebhook.Select(message => message.Text).Order(StringComparer.Ordinal).ToList());
        Assert.All(ViaWebhook, message => Assert.Null(message.Authorization));

        var outbox = await OutboxAsync();
        Assert.Equal(8, outbox.Count);
        Assert.All(outbox, notification => Assert.Equal("sent", notification.Status));
        Assert.Equal([bot[0].Ts, bot[1].Ts, bot[2].Ts], outbox.Where(notification => notification.Destination == "payments-oncall").Select(notification => notification.SlackTs));
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM alert_notifications WHERE payload::text LIKE '%xoxb%' OR coalesce(last_error, '') LIKE '%xoxb%'"));
    }

    [Fact]
    public async Task AResolution_NeverOvertakesItsFiring_AndStillGoesInItsThread()
    {
        Receiver.Answer((500, null)); // the bot's first attempt of the firing message
        await EvaluateAtAsync(T0);
        await EvaluateAtAsync(T0.AddMinutes(1));
        await EvaluateAtAsync(ClearsAt);              // resolved while the firing message still waits for its retry

        await SendAllDueAsync();
        Assert.Equal([500], ViaBot.Select(message => message.AnsweredWith));                // the resolution waits behind it
        await Eventually.HoldsAsync(async () => { await SendAllDueAsync(); return ViaBot.Count == 3; }, TimeSpan.FromSeconds(10), "the retry and the resolution");

        var bot = ViaBot;
        Assert.Equal(["[FIRING:1] ClockBehind — checkout", "[FIRING:1] ClockBehind — checkout", "[RESOLVED] ClockBehind — checkout"], bot.Select(message => message.Text));
        Assert.Equal([500, 200, 200], bot.Select(message => message.AnsweredWith));
        Assert.Equal(bot[1].Ts, bot[2].ThreadTs);
    }

    [Fact]
    public async Task DeadNotification_SentAgainByAnAdmin_IsDelivered_AndAudited()
    {
        Receiver.Answer((400, null));
        await EvaluateAtAsync(T0);
        await EvaluateAtAsync(T0.AddMinutes(1));
        await SendAllDueAsync();
        var dead = Assert.Single(await OutboxAsync(), notification => notification.Status == "dead");
        var sent = (await OutboxAsync()).First(notification => notification.Status == "sent");

        using var viewer = await ClientAsync(PortalRoles.Viewer);
        using var admin = await ClientAsync(PortalRoles.Admin);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync(new Uri($"/api/v1/alerts/notifications/{dead.Id}/retry", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync(new Uri($"/api/v1/alerts/notifications/{dead.Id}/retry", UriKind.Relative), null)).StatusCode);
        var again = await admin.PostAsync(new Uri($"/api/v1/alerts/notifications/{sent.Id}/retry", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("is sent: only a dead one is retried", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync(new Uri("/api/v1/alerts/notifications/999999/retry", UriKind.Relative), null)).StatusCode);
        await SendAllDueAsync();

        var retried = (await OutboxAsync()).Single(notification => notification.Id == dead.Id);
        Assert.Equal(("sent", 2), (retried.Status, retried.Attempts));
        Assert.NotNull(retried.RetriedAt);
        Assert.Equal(4, Receiver.Messages.Count); // 3 notifications, one of them twice
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE action = 'alerts.retry' AND subject = @subject", new { subject = $"notification {dead.Id}" }));
        using var detail = System.Text.Json.JsonDocument.Parse(await viewer.GetStringAsync(new Uri($"/api/v1/alerts/notifications/{dead.Id}", UriKind.Relative)));
        Assert.Equal(retried.Title, detail.RootElement.GetProperty("payload").GetProperty("text").GetString());
    }

    [Fact]
    public async Task TestMessage_GoesToTheDestinationAsked_AndAnUnknownOneIsA400NamingTheConfiguredOnes()
    {
        using var admin = await ClientAsync(PortalRoles.Admin);

        var accepted = await admin.PostAsync(new Uri("/api/v1/alerts/test?destination=payments-oncall", UriKind.Relative), null);
        var unknown = await admin.PostAsync(new Uri("/api/v1/alerts/test?destination=nowhere", UriKind.Relative), null);
        await SendAllDueAsync();

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var message = Assert.Single(Receiver.Messages);
        Assert.Equal(("/api/chat.postMessage", "[TEST] Portal can post here", "C0PAYMENTS"), (message.Path, message.Text, message.Body.GetProperty("channel").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("configured: payments-oncall, slack", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(await OutboxAsync());
    }

    [Fact]
    public async Task WorkerKilledWhileANotificationIsPending_TheNextWorkerDeliversEveryNotificationOnce()
    {
        await EvaluateAtAsync(T0);
        await EvaluateAtAsync(T0.AddMinutes(1));
        var queued = await OutboxAsync();
        Assert.Equal(3, queued.Count);
        // Slack is down while the first worker lives (it never has a message taken, so its death cannot duplicate one).
        Receiver.Answer(Enumerable.Repeat<(int, int?)>((503, null), 1_000).ToArray());
        var settings = PortalSettings.For(Database);
        foreach (var (key, value) in configured.Where(setting => setting.Key.StartsWith("Slack:", StringComparison.Ordinal)))
        {
            settings[key] = value;
        }
        settings["Jobs:Schedules:alert-evaluation"] = "0 0 1 1 *"; // the worker only sends: the test evaluates

        await using (var first = PortalProcess.StartWorker(settings))
        {
            await Eventually.HoldsAsync(() => Task.FromResult(!Receiver.Messages.IsEmpty), TimeSpan.FromSeconds(60), "the first worker's first attempt");
            await first.KillAsync(); // SIGKILL: no shutdown code runs
        }
        Receiver.ClearAnswers();                                  // Slack is back
        await using var second = PortalProcess.StartWorker(settings);
        await Eventually.HoldsAsync(async () => (await OutboxAsync()).All(notification => notification.Status == "sent"), TimeSpan.FromSeconds(60), "the second worker delivers the rest");

        var delivered = Receiver.Messages.Where(message => message.AnsweredWith == 200).Select(message => (message.Path, message.Text)).Order().ToList();
        var expected = queued.Select(notification => (notification.Destination == "payments-oncall" ? "/api/chat.postMessage" : "/services/T000/B000/secret-part", (string?)notification.Title)).Order().ToList();
        Assert.Equal(expected, delivered);                       // each once
        Assert.True(Receiver.Messages.First().AnsweredWith == 503, "the first worker attempted while Slack was down");
    }
}
