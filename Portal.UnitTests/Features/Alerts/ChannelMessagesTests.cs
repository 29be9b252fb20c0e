using System.Text;
using System.Text.Json;
using Portal.Features.Alerts;

namespace Portal.UnitTests.Features.Alerts;

/// <summary>Many alerts in one group: each channel lists ten and summarises the rest, within its limits.</summary>
public sealed class ChannelMessagesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    private static readonly AlertGroup Group = new("teams/Slow/shop", "teams", "Slow", "shop", [], Now, null);

    private static List<AlertInstance> Alerts(int count, int summaryLength) => Enumerable.Range(0, count).Select(i => new AlertInstance
    {
        Fingerprint = $"f{i}", RuleKey = "r", RuleName = "Slow", Severity = AlertSeverities.Critical, Source = "promql", State = AlertStates.Firing,
        Labels = new Dictionary<string, string> { ["service"] = "shop", ["instance"] = $"host-{i}", ["note"] = new string('n', 700) },
        Annotations = new Dictionary<string, string> { ["summary"] = new string('s', summaryLength) }, Value = i, Threshold = 1, ActiveSince = Now,
    }).ToList();

    private static JsonElement Build(string channel, IReadOnlyList<AlertInstance> alerts) => JsonDocument.Parse(
        ChannelMessages.Build(channel, "d", NotificationKinds.Firing, Group, alerts, Group.GroupKey, Now, "https://portal.example", Now).Payload).RootElement;

    [Fact]
    public void TwentyFiveAlerts_TenListed_TheRestSummarised_InEveryChannel()
    {
        var alerts = Alerts(25, 4_000);

        var pagerDuty = Build(DestinationKinds.PagerDuty, alerts).GetProperty("payload");
        Assert.Equal(10, pagerDuty.GetProperty("custom_details").GetProperty("alerts").GetArrayLength());
        Assert.Equal("and 15 more: https://portal.example/alerts", pagerDuty.GetProperty("custom_details").GetProperty("more").GetString());
        Assert.StartsWith("[FIRING:25] Slow — shop: ", pagerDuty.GetProperty("summary").GetString(), StringComparison.Ordinal);

        var opsgenie = Build(DestinationKinds.Opsgenie, alerts).GetProperty("body");
        Assert.EndsWith("and 15 more: https://portal.example/alerts\n", opsgenie.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.InRange(opsgenie.GetProperty("description").GetString()!.Length, 1, ChannelMessages.OpsgenieDescriptionLimit);

        var teams = ChannelMessages.Build(DestinationKinds.Teams, "d", NotificationKinds.Firing, Group, alerts, Group.GroupKey, Now, "https://portal.example", Now).Payload;
        Assert.InRange(Encoding.UTF8.GetByteCount(teams), 1, ChannelMessages.TeamsMessageBytes);
        var body = JsonDocument.Parse(teams).RootElement.GetProperty("attachments")[0].GetProperty("content").GetProperty("body");
        // Ten alerts of 1,000-character summaries and 200-character labels do not fit 28 KB with the rest: fewer are listed.
        var listed = (body.GetArrayLength() - 2) / 2;
        Assert.InRange(listed, 1, 10);
        Assert.Equal($"and {25 - listed} more", body[body.GetArrayLength() - 1].GetProperty("text").GetString());

        var webhook = Build(DestinationKinds.Webhook, alerts);
        Assert.Equal(25, webhook.GetProperty("alerts").GetArrayLength()); // Alertmanager's payload is whole
        Assert.Equal("Slow", webhook.GetProperty("commonLabels").GetProperty("alertname").GetString());
        Assert.False(webhook.GetProperty("commonLabels").TryGetProperty("instance", out _)); // not common to all
    }

    [Fact]
    public void Acknowledgement_OnlyForTheChannelsThatTrackIt()
    {
        var acknowledged = new Acknowledgement(Now, "ana@example.com", "on it");
        Assert.Null(ChannelMessages.Acknowledgement(DestinationKinds.Slack, Group, acknowledged));
        Assert.Null(ChannelMessages.Acknowledgement(DestinationKinds.Teams, Group, acknowledged));
        var pagerDuty = JsonDocument.Parse(ChannelMessages.Acknowledgement(DestinationKinds.PagerDuty, Group, acknowledged)!.Value.Payload).RootElement;
        Assert.Equal(("acknowledge", MessageText.EpisodeKey(Group.GroupKey, Group.FirstSeenAt)),
            (pagerDuty.GetProperty("event_action").GetString(), pagerDuty.GetProperty("dedup_key").GetString()));
    }
}
