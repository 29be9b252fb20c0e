using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using Portal.Features.Alerts;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Alerts;

/// <summary>
/// One alert group sent to every kind of destination at once — PagerDuty, Opsgenie, Teams, e-mail (a real SMTP
/// server), an Alertmanager webhook receiver and Slack — through the same outbox: its firing, its repeat and its
/// resolution, each checked by the receiver against the service's documented schema and limits. The alert is long on
/// purpose: a summary of 4,100 characters and a label value of 600.
/// </summary>
public sealed class DestinationsTests : ClockAlertsTest
{
    private static readonly string LongSummary = "The clock reads {{ value }}. " + string.Concat(Enumerable.Repeat("Lorem ipsum dolor sit amet. ", 147));
    private static readonly string LongLabel = new('x', 600);

    private ChannelReceiver channels = null!;
    private SmtpServer smtp = null!;

    protected override string Rules => $$$"""
        burn_rate: []
        rules:
          - { name: ClockBehind, source: promql, query: "vector(time())", below: {{{ClearsAt.ToUnixTimeSeconds()}}}, severity: critical,
              labels: { service: checkout, note: "{{{LongLabel}}}" }, annotations: { summary: "{{{LongSummary}}}", runbook: "https://runbooks.example/clock" } }
        notifications:
          default: [slack, pager, genie, teams, mail, hook]
        """;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        channels = ChannelReceiver.Start();
        smtp = SmtpServer.StartAsync().GetAwaiter().GetResult();
        foreach (var (key, value) in smtp.Settings())
        {
            settings[key] = value;
        }
        settings["Notifications:Destinations:pager:Kind"] = "pagerduty";
        settings["Notifications:Destinations:pager:RoutingKey"] = ChannelReceiver.PagerDutyKey;
        settings["Notifications:Destinations:pager:Url"] = $"{channels.Url}/pagerduty/v2/enqueue";
        settings["Notifications:Destinations:genie:Kind"] = "opsgenie";
        settings["Notifications:Destinations:genie:ApiKey"] = ChannelReceiver.OpsgenieKey;
        settings["Notifications:Destinations:genie:Url"] = $"{channels.Url}/opsgenie/";
        settings["Notifications:Destinations:teams:Kind"] = "teams";
        settings["Notifications:Destinations:teams:Url"] = $"{channels.Url}/teams/workflow";
        settings["Notifications:Destinations:mail:Kind"] = "email";
        settings["Notifications:Destinations:mail:To"] = "oncall@example.com, lead@example.com";
        settings["Notifications:Destinations:hook:Kind"] = "webhook";
        settings["Notifications:Destinations:hook:Url"] = $"{channels.Url}/webhook";
        settings["Notifications:Destinations:hook:BearerToken"] = ChannelReceiver.WebhookToken;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await channels.DisposeAsync();
        await smtp.DisposeAsync();
    }

    private async Task FireRepeatAndResolveAsync()
    {
        await EvaluateAtAsync(T0);
        await EvaluateAtAsync(T0.AddMinutes(1));  // group wait over: firing
        await EvaluateAtAsync(T0.AddMinutes(11)); // repeat interval over: repeat
        await EvaluateAtAsync(ClearsAt);          // resolved
        await SendAllDueAsync();
    }

    [Fact]
    public async Task EveryDestination_GetsTheFiringTheRepeatAndTheResolution_WithinItsLimits()
    {
        await FireRepeatAndResolveAsync();

        var outbox = await OutboxAsync();
        Assert.Equal(18, outbox.Count); // three notifications for each of six destinations
        Assert.All(outbox, notification => Assert.Equal(("sent", null), (notification.Status, notification.LastError)));
        Assert.All(channels.Requests, request => Assert.Empty(request.Problems));

        // PagerDuty: trigger, trigger, resolve, one dedup_key for the episode; the summary cut to 1,024 with an ellipsis.
        var pager = channels.Of("pagerduty");
        Assert.Equal(["trigger", "trigger", "resolve"], pager.Select(request => request.Body.GetProperty("event_action").GetString()));
        Assert.Single(pager.Select(request => request.Body.GetProperty("dedup_key").GetString()).Distinct());
        Assert.All(pager, request => Assert.Equal(ChannelReceiver.PagerDutyKey, request.Body.GetProperty("routing_key").GetString()));
        var summary = pager[0].Body.GetProperty("payload").GetProperty("summary").GetString()!;
        Assert.Equal(1024, summary.Length);
        Assert.StartsWith("[FIRING:1] ClockBehind — checkout: The clock reads ", summary, StringComparison.Ordinal);
        Assert.EndsWith("…", summary, StringComparison.Ordinal);
        Assert.Equal("critical", pager[0].Body.GetProperty("payload").GetProperty("severity").GetString());
        var alertPage = pager[0].Body.GetProperty("links")[0].GetProperty("href").GetString();
        Assert.StartsWith("https://portal.example/alerts/", alertPage, StringComparison.Ordinal);

        // Opsgenie: created twice under one alias (Opsgenie counts the repeat on the open alert), then closed by it.
        var genie = channels.Of("opsgenie");
        Assert.Equal(["/opsgenie/v2/alerts", "/opsgenie/v2/alerts"], genie.Take(2).Select(request => request.Path));
        var alias = genie[0].Body.GetProperty("alias").GetString()!;
        Assert.Equal($"/opsgenie/v2/alerts/{alias}/close", genie[2].Path);
        Assert.All(genie, request => Assert.Equal($"GenieKey {ChannelReceiver.OpsgenieKey}", request.Authorization));
        Assert.Equal("[FIRING:1] ClockBehind — checkout", genie[0].Body.GetProperty("message").GetString());
        Assert.Equal("P2", genie[0].Body.GetProperty("priority").GetString());
        Assert.Contains(alertPage!, genie[0].Body.GetProperty("description").GetString(), StringComparison.Ordinal);

        // Teams: three Adaptive Cards within 28 KB, the long texts cut.
        var teams = channels.Of("teams");
        Assert.Equal(3, teams.Count);
        Assert.All(teams, request => Assert.InRange(request.Bytes, 1, 28 * 1024));
        var card = teams[0].Body.GetProperty("attachments")[0].GetProperty("content");
        Assert.Equal("[FIRING:1] ClockBehind — checkout", card.GetProperty("body")[0].GetProperty("text").GetString());
        var shownSummary = card.GetProperty("body")[1].GetProperty("text").GetString()!.Split(" — ")[0];
        Assert.Equal(ChannelMessages.SummaryLimit, shownSummary.Length);
        Assert.EndsWith("…", shownSummary, StringComparison.Ordinal);
        Assert.Contains(new string('x', ChannelMessages.LabelValueLimit - 1) + "…, service=checkout", card.GetProperty("body")[2].GetProperty("text").GetString(), StringComparison.Ordinal); // the long label value
        Assert.Contains(alertPage!, card.GetProperty("actions").EnumerateArray().Select(action => action.GetProperty("url").GetString()));

        // The webhook: Alertmanager's payload, whole as Alertmanager sends it, with the bearer token.
        var hook = channels.Of("webhook");
        Assert.Equal(["firing", "firing", "resolved"], hook.Select(request => request.Body.GetProperty("status").GetString()));
        Assert.All(hook, request => Assert.Equal($"Bearer {ChannelReceiver.WebhookToken}", request.Authorization));
        var alert = hook[0].Body.GetProperty("alerts")[0];
        Assert.Equal(("ClockBehind", "critical", LongLabel), (alert.GetProperty("labels").GetProperty("alertname").GetString(),
            alert.GetProperty("labels").GetProperty("severity").GetString(), alert.GetProperty("labels").GetProperty("note").GetString()));
        Assert.StartsWith("The clock reads ", alert.GetProperty("annotations").GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal("0001-01-01T00:00:00Z", alert.GetProperty("endsAt").GetString());
        Assert.NotEqual("0001-01-01T00:00:00Z", hook[2].Body.GetProperty("alerts")[0].GetProperty("endsAt").GetString());
        Assert.Equal("hook", hook[0].Body.GetProperty("receiver").GetString());

        // E-mail: to both addresses, the whole alert in text and HTML.
        var mails = smtp.Messages();
        Assert.Equal(["[FIRING:1] ClockBehind — checkout", "[FIRING:1] ClockBehind — checkout", "[RESOLVED] ClockBehind — checkout"], mails.Select(mail => mail.Subject));
        Assert.Equal(["oncall@example.com", "lead@example.com"], mails[0].To.Mailboxes.Select(mailbox => mailbox.Address));
        Assert.Contains(LongLabel, mails[0].TextBody, StringComparison.Ordinal);
        Assert.Contains("Lorem ipsum dolor sit amet. Lorem ipsum dolor sit amet.", mails[0].HtmlBody, StringComparison.Ordinal);

        // Slack's within Block Kit's limits (its receiver refuses more), and no secret in the outbox.
        Assert.Equal(3, Receiver.Messages.Count(message => message.AnsweredWith == 200));
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM alert_notifications WHERE payload::text LIKE ANY (@secrets)",
            new { secrets = new[] { $"%{ChannelReceiver.PagerDutyKey}%", $"%{ChannelReceiver.OpsgenieKey}%", $"%{ChannelReceiver.WebhookToken}%", $"%{channels.Url}%" } }));
    }

    [Fact]
    public async Task ARefusalIsDeadAtOnce_ARateLimitIsRetried_AndNeitherNamesTheKey()
    {
        await EvaluateAtAsync(T0);
        await EvaluateAtAsync(T0.AddMinutes(1));
        channels.Answer((400, null), (429, 1), (503, null), (500, null));
        await SendAllDueAsync();

        var outbox = await OutboxAsync();
        var failed = outbox.Where(notification => notification.Status != "sent").ToList();
        Assert.Equal(4, failed.Count);
        Assert.Single(failed, notification => notification.Status == "dead" && notification.LastError!.Contains("answered 400", StringComparison.Ordinal));
        Assert.Equal(3, failed.Count(notification => notification.Status == "pending"));
        Assert.All(failed, notification => Assert.DoesNotContain(ChannelReceiver.PagerDutyKey, notification.LastError!, StringComparison.Ordinal));
        Assert.All(failed, notification => Assert.DoesNotContain(channels.Url, notification.LastError!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Acknowledged_StopsTheRepeatsEverywhere_TellsPagerDutyAndOpsgenie_AndTheResolutionStillGoes()
    {
        await EvaluateAtAsync(T0);
        await EvaluateAtAsync(T0.AddMinutes(1));
        await SendAllDueAsync();
        var fingerprint = (await OutboxAsync())[0].Fingerprints.Single();
        using var viewer = await ClientAsync(PortalRoles.Viewer);
        using var developer = await ClientAsync(PortalRoles.Developer);

        using (var refused = await viewer.PostAsJsonAsync(new Uri($"/api/v1/alerts/{fingerprint}/acknowledge", UriKind.Relative), new { note = "mine" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        using (var tooLong = await developer.PostAsJsonAsync(new Uri($"/api/v1/alerts/{fingerprint}/acknowledge", UriKind.Relative), new { note = new string('n', 1001) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
            Assert.Contains("note: at most 1000 characters", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var unknown = await developer.PostAsync(new Uri("/api/v1/alerts/no-such-alert/acknowledge", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
        using (var acknowledged = await developer.PostAsJsonAsync(new Uri($"/api/v1/alerts/{fingerprint}/acknowledge", UriKind.Relative), new { note = "replica catching up" }))
        {
            Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
            using var answer = JsonDocument.Parse(await acknowledged.Content.ReadAsStringAsync());
            Assert.Equal(6, answer.RootElement.GetProperty("groups").GetArrayLength()); // every destination's group
        }
        await SendAllDueAsync();
        var pagerAcknowledge = channels.Of("pagerduty")[^1];
        Assert.Equal(("acknowledge", channels.Of("pagerduty")[0].Body.GetProperty("dedup_key").GetString()),
            (pagerAcknowledge.Body.GetProperty("event_action").GetString(), pagerAcknowledge.Body.GetProperty("dedup_key").GetString()));
        var genieAcknowledge = channels.Of("opsgenie")[^1];
        Assert.Equal($"/opsgenie/v2/alerts/{channels.Of("opsgenie")[0].Body.GetProperty("alias").GetString()}/acknowledge", genieAcknowledge.Path);
        Assert.Equal("replica catching up", genieAcknowledge.Body.GetProperty("note").GetString());
        Assert.All(channels.Requests, request => Assert.Empty(request.Problems));

        // Past the repeat interval: no repeat anywhere. Then the resolution, everywhere.
        var before = (await OutboxAsync()).Count;
        await EvaluateAtAsync(T0.AddMinutes(11));
        Assert.Equal(before, (await OutboxAsync()).Count);
        await EvaluateAtAsync(ClearsAt);
        await SendAllDueAsync();
        var resolved = (await OutboxAsync()).Where(notification => notification.Kind == NotificationKinds.Resolved).ToList();
        Assert.Equal(6, resolved.Count);
        Assert.All(await OutboxAsync(), notification => Assert.Equal("sent", notification.Status));

        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE action = 'alerts.acknowledge' AND subject = @fingerprint AND after::text LIKE '%replica catching up%'", new { fingerprint }));
    }

    [Fact]
    public async Task TestMessage_ReachesEachKind_AsItsSchemaWants()
    {
        using var admin = await ClientAsync(PortalRoles.Admin);
        using (var destinations = JsonDocument.Parse(await admin.GetStringAsync(new Uri("/api/v1/alerts/destinations", UriKind.Relative))))
        {
            Assert.Equal(["genie:opsgenie", "hook:webhook", "mail:email", "pager:pagerduty", "slack:slack", "teams:teams"],
                destinations.RootElement.EnumerateArray().Select(destination => $"{destination.GetProperty("name").GetString()}:{destination.GetProperty("kind").GetString()}"));
            Assert.DoesNotContain(ChannelReceiver.PagerDutyKey, destinations.RootElement.GetRawText(), StringComparison.Ordinal);
        }
        foreach (var destination in new[] { "pager", "genie", "teams", "mail", "hook" })
        {
            using var answer = await admin.PostAsync(new Uri($"/api/v1/alerts/test?destination={destination}", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
        }
        await SendAllDueAsync();

        Assert.All(await OutboxAsync(), notification => Assert.Equal("sent", notification.Status));
        Assert.Equal(["opsgenie", "pagerduty", "teams", "webhook"], channels.Requests.Select(request => request.Channel).Order(StringComparer.Ordinal));
        Assert.All(channels.Requests, request => Assert.Empty(request.Problems));
        Assert.Contains("A test message sent by", Assert.Single(smtp.Messages()).TextBody, StringComparison.Ordinal);
    }
}
