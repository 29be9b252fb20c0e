using System.Net.Http.Json;
using Dapper;
using Npgsql;
using Portal.Features.Alerts;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Alerts;

/// <summary>From a firing alert to what Slack receives (a local receiver in Slack's place).</summary>
public sealed class NotificationTests : ClockAlertsTest
{
    protected override string Rules => $$$"""
        burn_rate: []
        rules:
          - { name: ClockBehind, source: promql, query: "vector(time())", below: {{{ClearsAt.ToUnixTimeSeconds()}}}, severity: critical,
              labels: { service: checkout, team: payments }, annotations: { summary: "The clock reads {{ value }}", runbook: "https://runbooks.example/clock" } }
        """;

    [Fact]
    public async Task Firing_AfterGroupWait_OneMessage_RepeatedAfterTheRepeatInterval_ThenOneResolved()
    {
        await EvaluateAtAsync(T0);                   // fires (no `for`): the group waits 30 s
        Assert.Empty(await OutboxAsync());
        await EvaluateAtAsync(T0.AddMinutes(1));     // group_wait over: the first message
        await EvaluateAtAsync(T0.AddMinutes(2));     // unchanged, within repeat_interval: nothing
        await EvaluateAtAsync(T0.AddMinutes(11));    // 10 minutes after the first: the repeat
        await EvaluateAtAsync(ClearsAt);             // cleared: resolved
        await EvaluateAtAsync(ClearsAt.AddMinutes(1));
        await SendAllDueAsync();

        Assert.Equal(["firing", "repeat", "resolved"], (await OutboxAsync()).Select(notification => notification.Kind));
        var messages = Receiver.Messages.ToList();
        Assert.Equal(["[FIRING:1] ClockBehind — checkout", "[FIRING:1] ClockBehind — checkout", "[RESOLVED] ClockBehind — checkout"],
            messages.Select(message => message.Body.GetProperty("text").GetString()));
        Assert.Equal(["#E01E5A", "#E01E5A", "#2EB67D"], messages.Select(message => message.Body.GetProperty("attachments")[0].GetProperty("color").GetString()));
        var first = messages[0].Body.GetRawText();
        Assert.Contains($"*{T0.AddMinutes(1).ToUnixTimeSeconds()}* against {ClearsAt.ToUnixTimeSeconds()} (critical) since {T0.UtcDateTime:yyyy-MM-dd HH:mm} UTC", first, StringComparison.Ordinal);
        Assert.Contains("<https://runbooks.example/clock|Runbook>", first, StringComparison.Ordinal);
        Assert.Contains("<https://portal.example/alerts|Alerts>", first, StringComparison.Ordinal);
        Assert.All(await OutboxAsync(), notification => Assert.Equal(("sent", 1), (notification.Status, notification.Attempts)));
    }

    [Fact]
    public async Task Receiver_500_Then429WithRetryAfter_Then200_TheMessageArrivesOnceAfterTheStatedDelay()
    {
        Receiver.Answer((500, null), (429, 2), (200, null));
        await EvaluateAtAsync(T0);
        await EvaluateAtAsync(T0.AddMinutes(1));

        await SendAllDueAsync();                                          // 500: retried in 1 s
        await Eventually.HoldsAsync(async () => { await SendAllDueAsync(); return Receiver.Messages.Count >= 2; }, TimeSpan.FromSeconds(10), "the retry after the 500");
        var limited = Receiver.Messages.Last();                           // 429, Retry-After: 2
        await Eventually.HoldsAsync(async () => { await SendAllDueAsync(); return Receiver.Messages.Count >= 3; }, TimeSpan.FromSeconds(10), "the retry after the 429");

        var answers = Receiver.Messages.ToList();
        Assert.Equal([500, 429, 200], answers.Select(message => message.AnsweredWith));
        Assert.True(answers[2].At - limited.At >= TimeSpan.FromSeconds(1.9), $"retried {answers[2].At - limited.At} after the 429");
        var notification = Assert.Single(await OutboxAsync());
        Assert.Equal(("sent", 3), (notification.Status, notification.Attempts));
        await SendAllDueAsync();
        Assert.Equal(3, Receiver.Messages.Count); // delivered once
    }

    [Fact]
    public async Task Refused_IsDeadAtOnce_WithTheErrorButNeverTheWebhooksAddress()
    {
        Receiver.Answer((400, null));
        await EvaluateAtAsync(T0);
        await EvaluateAtAsync(T0.AddMinutes(1));

        await SendAllDueAsync();

        var notification = Assert.Single(await OutboxAsync());
        Assert.Equal(("dead", 1), (notification.Status, notification.Attempts));
        Assert.StartsWith("Slack answered 400 failure", notification.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-part", notification.LastError, StringComparison.Ordinal);

        using var client = App.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await App.TokenAsync(Portal.Features.Auth.PortalRoles.Viewer));
        using var dead = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/v1/alerts/notifications?status=dead", UriKind.Relative)));
        var listed = Assert.Single(dead.RootElement.EnumerateArray().ToList());
        Assert.Equal(("[FIRING:1] ClockBehind — checkout", "dead", notification.LastError), (listed.GetProperty("title").GetString(), listed.GetProperty("status").GetString(), listed.GetProperty("lastError").GetString()));
        Assert.Empty((await client.GetFromJsonAsync<System.Text.Json.JsonElement[]>(new Uri("/api/v1/alerts/notifications?status=sent", UriKind.Relative)))!);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await client.GetAsync(new Uri("/api/v1/alerts/notifications?since=yesterday", UriKind.Relative))).StatusCode);
        // The periods the history page offers work on the API too.
        Assert.Single((await client.GetFromJsonAsync<System.Text.Json.JsonElement[]>(new Uri("/api/v1/alerts/notifications?since=24h", UriKind.Relative)))!);
        Assert.Single((await client.GetFromJsonAsync<System.Text.Json.JsonElement[]>(new Uri("/api/v1/alerts/notifications?since=all", UriKind.Relative)))!);
    }

    [Fact]
    public async Task NothingAccepted_IsLost_APendingNotificationIsDeliveredByTheNextSender()
    {
        await EvaluateAtAsync(T0);
        await EvaluateAtAsync(T0.AddMinutes(1));
        await using (var connection = new NpgsqlConnection(Database.ConnectionString))
        {
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM alert_notifications WHERE status = 'pending'"));
        }

        // A sender made afresh (as after a restart of the worker) finds it in the outbox.
        Assert.True(await Sender.SendNextAsync());

        Assert.Single(Receiver.Messages);
        Assert.Equal("sent", Assert.Single(await OutboxAsync()).Status);
    }

    [Fact]
    public async Task Silence_FromTheApi_SuppressesTheMatchingGroupOnly_AndIsAudited()
    {
        await File.AppendAllTextAsync(RulesFile, "\n" + """
              - { name: ClockAlsoBehind, source: promql, query: "vector(time())", above: 0, severity: warning, labels: { service: shop } }
            """);
        using var client = App.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await App.TokenAsync(Portal.Features.Auth.PortalRoles.Admin));
        var created = await client.PostAsJsonAsync(new Uri("/api/v1/silences", UriKind.Relative),
            new { matchers = new { alertname = "ClockBehind", service = "checkout" }, startsAt = T0.AddMinutes(-1), endsAt = DateTimeOffset.UtcNow.AddHours(1), comment = "migrating the clock" });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var refused = await client.PostAsJsonAsync(new Uri("/api/v1/silences", UriKind.Relative), new { matchers = new { alertname = "ClockBehind" }, durationMinutes = 60 });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("comment: say why", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await EvaluateAtAsync(T0);
        await EvaluateAtAsync(T0.AddMinutes(1));
        await SendAllDueAsync();

        Assert.Equal(["[FIRING:1] ClockAlsoBehind — shop"], Receiver.Messages.Select(message => message.Body.GetProperty("text").GetString()));
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE action = 'silence.create' AND after::text LIKE '%migrating the clock%'"));
    }

    [Fact]
    public async Task SilencedAfterItsMessage_TheGroupFallsSilent_NoRepeat_AndNoResolvedWhileItStillFires_NorWhenItClearsUnderTheSilence()
    {
        await EvaluateAtAsync(T0);
        await EvaluateAtAsync(T0.AddMinutes(1));                         // the firing message
        using var admin = await ClientAsync(Portal.Features.Auth.PortalRoles.Admin);
        var created = await admin.PostAsJsonAsync(new Uri("/api/v1/silences", UriKind.Relative),
            new { matchers = new { alertname = "ClockBehind" }, startsAt = T0.AddMinutes(2), endsAt = DateTimeOffset.UtcNow.AddHours(1), comment = "fixing the clock" });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);

        await EvaluateAtAsync(T0.AddMinutes(3));                         // still firing, silenced: not "resolved"
        await EvaluateAtAsync(T0.AddMinutes(11));                        // the repeat would be due: silenced
        await EvaluateAtAsync(ClearsAt);                                 // cleared under the silence: ends without a word
        await EvaluateAtAsync(ClearsAt.AddMinutes(1));
        await SendAllDueAsync();

        Assert.Equal(["[FIRING:1] ClockBehind — checkout"], Receiver.Messages.Select(message => message.Text));
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM alert_groups"));
    }

    [Fact]
    public void Inhibition_AFiringCriticalMutesTheWarningOfTheSameObjectiveOnly()
    {
        AlertInstance Alert(string severity, string objective) => new()
        {
            Fingerprint = $"{severity}-{objective}", RuleKey = "k", RuleName = "Burn", Severity = severity, Source = AlertSources.BurnRate, State = AlertStates.Firing,
            Labels = new Dictionary<string, string> { ["objective"] = objective },
        };
        List<AlertInstance> firing = [Alert("critical", "checkout-latency"), Alert("warning", "checkout-latency"), Alert("warning", "search-latency")];

        Assert.Equal(["critical-checkout-latency", "warning-search-latency"], firing.Where(alert => !Muting.IsInhibited(alert, firing)).Select(alert => alert.Fingerprint));
    }

    [Fact]
    public async Task TestMessage_FromTheApi_ReachesSlack_AndIsAudited()
    {
        using var client = App.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await App.TokenAsync(Portal.Features.Auth.PortalRoles.Admin));

        var response = await client.PostAsync(new Uri("/api/v1/alerts/test", UriKind.Relative), null);
        await SendAllDueAsync();

        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var message = Assert.Single(Receiver.Messages);
        Assert.Equal("[TEST] Portal can post here", message.Body.GetProperty("text").GetString());
        Assert.Equal(("test", "sent"), (Assert.Single(await OutboxAsync()).Kind, (await OutboxAsync())[0].Status));
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE action = 'alerts.test'"));
    }
}
