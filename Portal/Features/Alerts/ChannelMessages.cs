using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Portal.Features.Alerts;

/// <summary>
/// A group's notification as each channel takes it, within the channel's documented limits: a long text is cut with an
/// ellipsis and the alert's page linked (where it is whole), and past a channel's count of alerts the rest are
/// summarised. What is stored in the outbox carries no secret: keys and addresses are added by the sender.
/// </summary>
public static class ChannelMessages
{
    /// <summary>PagerDuty: <c>payload.summary</c> at most 1,024 characters, the whole event at most 512 KB.</summary>
    public const int PagerDutySummaryLimit = 1024;

    /// <summary>Opsgenie: <c>message</c> at most 130 characters, <c>description</c> 15,000, <c>entity</c> and <c>alias</c> 512, a tag 50.</summary>
    public const int OpsgenieMessageLimit = 130;

    public const int OpsgenieDescriptionLimit = 15_000;

    /// <summary>Teams: a message (its card and envelope) at most 28 KB.</summary>
    public const int TeamsMessageBytes = 28 * 1024;

    /// <summary>A summary's length at most in a channel's list of alerts, and a label value's.</summary>
    public const int SummaryLimit = 1000;

    public const int LabelValueLimit = 200;

    /// <summary>How many alerts a message lists before it summarises the rest ("and 12 more").</summary>
    public const int ListedAlerts = 10;

    /// <summary>The message of a notification of <paramref name="kind"/> for a destination of <paramref name="channel"/>: its title and stored payload.</summary>
    public static (string Title, string Payload) Build(string channel, string destination, string kind, AlertGroup group, IReadOnlyList<AlertInstance> alerts,
        string groupKey, DateTimeOffset? episode, string? portalUrl, DateTimeOffset now) => channel switch
    {
        DestinationKinds.PagerDuty => PagerDuty(kind, group, alerts, MessageText.EpisodeKey(groupKey, episode), portalUrl),
        DestinationKinds.Opsgenie => Opsgenie(kind, group, alerts, MessageText.EpisodeKey(groupKey, episode), portalUrl),
        DestinationKinds.Teams => Teams(kind, group, alerts, portalUrl),
        DestinationKinds.Email => Email(kind, group, alerts, portalUrl),
        DestinationKinds.Webhook => Webhook(destination, kind, group, alerts, groupKey, portalUrl, now),
        _ => SlackMessage.Build(kind, group, alerts, portalUrl),
    };

    /// <summary>
    /// A group's acknowledgement as a destination that tracks it takes it — PagerDuty's <c>acknowledge</c> and Opsgenie's
    /// acknowledge, under the episode's key — or null for a destination that does not (its repeats simply stop).
    /// </summary>
    public static (string Title, string Payload)? Acknowledgement(string channel, AlertGroup group, Acknowledgement acknowledgement)
    {
        var key = MessageText.EpisodeKey(group.GroupKey, group.FirstSeenAt);
        var title = MessageText.Cut($"[ACKNOWLEDGED] {group.RuleName} — {MessageText.Service(group)} by {acknowledgement.By}", SlackMessage.TitleLimit);
        return channel switch
        {
            DestinationKinds.PagerDuty => (title, new JsonObject { ["event_action"] = "acknowledge", ["dedup_key"] = key }.ToJsonString()),
            DestinationKinds.Opsgenie => (title, new JsonObject
            {
                ["action"] = "acknowledge", ["alias"] = key,
                ["body"] = new JsonObject
                {
                    ["source"] = "Portal", ["user"] = MessageText.Cut(acknowledgement.By, 100),
                    ["note"] = MessageText.Cut(acknowledgement.Note ?? $"Acknowledged in the portal by {acknowledgement.By}", 25_000),
                },
            }.ToJsonString()),
            _ => null,
        };
    }

    /// <summary>The "send test message" of a destination of <paramref name="channel"/>: proof that it receives the portal's messages.</summary>
    public static (string Title, string Payload) Test(string channel, string destination, string requestedBy, string? portalUrl, DateTimeOffset now)
    {
        if (channel == DestinationKinds.Slack)
        {
            return SlackMessage.Test(requestedBy, portalUrl);
        }
        var test = new AlertInstance
        {
            Fingerprint = "test", RuleKey = "test", RuleName = "PortalTest", Severity = AlertSeverities.Warning, Source = "test",
            Labels = new Dictionary<string, string> { ["service"] = "portal" },
            Annotations = new Dictionary<string, string> { ["summary"] = $"A test message sent by {requestedBy}: alerts will arrive like this" },
            ActiveSince = now, FiringSince = now,
        };
        var group = new AlertGroup($"{destination}/test", destination, "PortalTest", "portal", [], now, null);
        var (_, payload) = Build(channel, destination, NotificationKinds.Firing, group, [test], group.GroupKey, now, portalUrl, now);
        return ("[TEST] Portal can post here", payload);
    }

    private static (string, string) PagerDuty(string kind, AlertGroup group, IReadOnlyList<AlertInstance> alerts, string dedupKey, string? portalUrl)
    {
        var title = MessageText.Title(kind, group, alerts.Count);
        if (kind == NotificationKinds.Resolved)
        {
            return (title, new JsonObject { ["event_action"] = "resolve", ["dedup_key"] = dedupKey }.ToJsonString());
        }
        var first = alerts[0];
        var details = new JsonArray();
        foreach (var alert in alerts.Take(ListedAlerts))
        {
            details.Add(new JsonObject
            {
                ["summary"] = MessageText.Cut(alert.Summary ?? alert.RuleName, SummaryLimit), ["reading"] = MessageText.Reading(kind, alert),
                ["labels"] = MessageText.Labels(alert, LabelValueLimit), ["page"] = MessageText.AlertUrl(alert, portalUrl),
            });
        }
        var links = new JsonArray();
        foreach (var alert in alerts.Take(ListedAlerts))
        {
            if (MessageText.AlertUrl(alert, portalUrl) is { } url)
            {
                links.Add(new JsonObject { ["href"] = url, ["text"] = MessageText.Cut(alert.Summary ?? alert.RuleName, 200) });
            }
        }
        var payload = new JsonObject
        {
            ["event_action"] = "trigger",
            ["dedup_key"] = dedupKey,
            ["payload"] = new JsonObject
            {
                ["summary"] = MessageText.Cut($"{title}: {first.Summary ?? first.RuleName}", PagerDutySummaryLimit),
                ["source"] = "portal",
                ["severity"] = first.Severity switch { AlertSeverities.Page or AlertSeverities.Critical => "critical", AlertSeverities.Warning => "warning", _ => "info" },
                ["timestamp"] = (first.FiringSince ?? first.ActiveSince ?? group.FirstSeenAt).ToString("O", CultureInfo.InvariantCulture),
                ["component"] = MessageText.Cut(MessageText.Service(group), 255),
                ["group"] = MessageText.Cut(group.RuleName, 255),
                ["class"] = first.Source,
                ["custom_details"] = new JsonObject
                {
                    ["alerts"] = details,
                    ["more"] = alerts.Count > ListedAlerts ? $"and {alerts.Count - ListedAlerts} more: {MessageText.AlertsUrl(portalUrl)}" : null,
                },
            },
            ["links"] = links,
            ["client"] = "Portal",
            ["client_url"] = MessageText.AlertsUrl(portalUrl),
        };
        return (title, payload.ToJsonString());
    }

    private static (string, string) Opsgenie(string kind, AlertGroup group, IReadOnlyList<AlertInstance> alerts, string alias, string? portalUrl)
    {
        var title = MessageText.Title(kind, group, alerts.Count);
        if (kind == NotificationKinds.Resolved)
        {
            return (title, new JsonObject
            {
                ["action"] = "close", ["alias"] = alias,
                ["body"] = new JsonObject { ["source"] = "Portal", ["note"] = MessageText.Cut(title, 1000) },
            }.ToJsonString());
        }
        var description = new StringBuilder();
        foreach (var alert in alerts.Take(ListedAlerts))
        {
            description.Append(CultureInfo.InvariantCulture, $"• {MessageText.Cut(alert.Summary ?? alert.RuleName, SummaryLimit)} — {MessageText.Reading(kind, alert)}\n")
                .Append(CultureInfo.InvariantCulture, $"  {MessageText.Labels(alert, LabelValueLimit)}\n");
            if (MessageText.AlertUrl(alert, portalUrl) is { } url)
            {
                description.Append(CultureInfo.InvariantCulture, $"  {url}\n");
            }
        }
        if (alerts.Count > ListedAlerts)
        {
            description.Append(CultureInfo.InvariantCulture, $"and {alerts.Count - ListedAlerts} more: {MessageText.AlertsUrl(portalUrl) ?? "the portal's Alerts page"}\n");
        }
        var first = alerts[0];
        var body = new JsonObject
        {
            ["message"] = MessageText.Cut(title, OpsgenieMessageLimit),
            ["alias"] = alias,
            ["description"] = MessageText.Cut(description.ToString(), OpsgenieDescriptionLimit),
            ["priority"] = first.Severity switch { AlertSeverities.Page => "P1", AlertSeverities.Critical => "P2", AlertSeverities.Warning => "P3", _ => "P4" },
            ["source"] = "Portal",
            ["entity"] = MessageText.Cut(MessageText.Service(group), 512),
            ["tags"] = new JsonArray(MessageText.Cut(group.RuleName, 50), first.Severity),
            ["details"] = new JsonObject { ["rule"] = MessageText.Cut(group.RuleName, 200), ["alerts"] = alerts.Count.ToString(CultureInfo.InvariantCulture), ["portal"] = MessageText.AlertsUrl(portalUrl) ?? "" },
        };
        return (title, new JsonObject { ["action"] = "create", ["alias"] = alias, ["body"] = body }.ToJsonString());
    }

    private static (string, string) Teams(string kind, AlertGroup group, IReadOnlyList<AlertInstance> alerts, string? portalUrl)
    {
        var title = MessageText.Cut(MessageText.Title(kind, group, alerts.Count), SlackMessage.TitleLimit);
        // The card is built with fewer alerts until it fits the message limit (it always does with none).
        for (var listed = Math.Min(alerts.Count, ListedAlerts); ; listed--)
        {
            var body = new JsonArray
            {
                new JsonObject
                {
                    ["type"] = "TextBlock", ["text"] = title, ["weight"] = "Bolder", ["size"] = "Medium", ["wrap"] = true,
                    ["color"] = kind == NotificationKinds.Resolved ? "Good" : (alerts.Count > 0 ? alerts[0].Severity : null) is AlertSeverities.Page or AlertSeverities.Critical ? "Attention" : "Warning",
                },
            };
            foreach (var alert in alerts.Take(listed))
            {
                body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = $"{MessageText.Cut(alert.Summary ?? alert.RuleName, SummaryLimit)} — {MessageText.Reading(kind, alert)}", ["wrap"] = true });
                body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = MessageText.Labels(alert, LabelValueLimit), ["wrap"] = true, ["isSubtle"] = true, ["size"] = "Small", ["spacing"] = "None" });
            }
            if (alerts.Count > listed)
            {
                body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = $"and {alerts.Count - listed} more", ["isSubtle"] = true, ["wrap"] = true });
            }
            var actions = new JsonArray();
            if (MessageText.AlertsUrl(portalUrl) is { } alertsUrl)
            {
                actions.Add(new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = "Alerts", ["url"] = alertsUrl });
            }
            if (alerts.Count == 1 && MessageText.AlertUrl(alerts[0], portalUrl) is { } alertUrl)
            {
                actions.Add(new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = "The alert", ["url"] = alertUrl });
            }
            var message = new JsonObject
            {
                ["type"] = "message",
                ["attachments"] = new JsonArray(new JsonObject
                {
                    ["contentType"] = "application/vnd.microsoft.card.adaptive",
                    ["contentUrl"] = null,
                    ["content"] = new JsonObject
                    {
                        ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json", ["type"] = "AdaptiveCard", ["version"] = "1.4",
                        ["body"] = body, ["actions"] = actions,
                    },
                }),
            }.ToJsonString();
            if (Encoding.UTF8.GetByteCount(message) <= TeamsMessageBytes || listed == 0)
            {
                return (title, message);
            }
        }
    }

    private static (string, string) Email(string kind, AlertGroup group, IReadOnlyList<AlertInstance> alerts, string? portalUrl)
    {
        // E-mail has no limit of its own: every alert whole, as the portal shows it.
        var title = MessageText.Title(kind, group, alerts.Count);
        var text = new StringBuilder().Append(title).Append("\n\n");
        var html = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<h2>{WebUtility.HtmlEncode(title)}</h2><ul>");
        foreach (var alert in alerts)
        {
            var url = MessageText.AlertUrl(alert, portalUrl);
            text.Append(CultureInfo.InvariantCulture, $"• {alert.Summary ?? alert.RuleName} — {MessageText.Reading(kind, alert)}\n  {MessageText.Labels(alert, int.MaxValue)}\n");
            html.Append(CultureInfo.InvariantCulture, $"<li><p>{WebUtility.HtmlEncode(alert.Summary ?? alert.RuleName)} — {WebUtility.HtmlEncode(MessageText.Reading(kind, alert))}</p>")
                .Append(CultureInfo.InvariantCulture, $"<p style=\"color:#666\">{WebUtility.HtmlEncode(MessageText.Labels(alert, int.MaxValue))}</p>");
            if (url is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"  {url}\n");
                html.Append(CultureInfo.InvariantCulture, $"<p><a href=\"{WebUtility.HtmlEncode(url)}\">The alert in the portal</a></p>");
            }
            html.Append("</li>");
        }
        html.Append("</ul>");
        if (MessageText.AlertsUrl(portalUrl) is { } alertsUrl)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nAlerts: {alertsUrl}\n");
            html.Append(CultureInfo.InvariantCulture, $"<p><a href=\"{WebUtility.HtmlEncode(alertsUrl)}\">Alerts</a></p>");
        }
        return (title, new JsonObject { ["subject"] = MessageText.Cut(title, SlackMessage.TitleLimit), ["text"] = text.ToString(), ["html"] = html.ToString() }.ToJsonString());
    }

    /// <summary>Alertmanager's zero time: an alert still firing has not ended.</summary>
    private const string NotEnded = "0001-01-01T00:00:00Z";

    private static (string, string) Webhook(string destination, string kind, AlertGroup group, IReadOnlyList<AlertInstance> alerts, string groupKey, string? portalUrl, DateTimeOffset now)
    {
        var status = kind == NotificationKinds.Resolved ? "resolved" : "firing";
        IReadOnlyDictionary<string, string> LabelsOf(AlertInstance alert) => new Dictionary<string, string>(alert.Labels) { ["alertname"] = alert.RuleName, ["severity"] = alert.Severity };
        static JsonObject Map(IEnumerable<KeyValuePair<string, string>> pairs) => new(pairs.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)pair.Value)));
        IEnumerable<KeyValuePair<string, string>> Common(Func<AlertInstance, IReadOnlyDictionary<string, string>> of) => alerts.Count == 0 ? []
            : of(alerts[0]).Where(pair => alerts.All(alert => of(alert).TryGetValue(pair.Key, out var value) && value == pair.Value));
        var list = new JsonArray();
        foreach (var alert in alerts)
        {
            list.Add(new JsonObject
            {
                ["status"] = status,
                ["labels"] = Map(LabelsOf(alert)),
                ["annotations"] = Map(alert.Annotations.Select(pair => KeyValuePair.Create(pair.Key, pair.Key == "summary" ? alert.Summary ?? pair.Value : pair.Value))),
                ["startsAt"] = (alert.FiringSince ?? alert.ActiveSince ?? group.FirstSeenAt).ToString("O", CultureInfo.InvariantCulture),
                ["endsAt"] = kind == NotificationKinds.Resolved ? now.ToString("O", CultureInfo.InvariantCulture) : NotEnded,
                ["generatorURL"] = MessageText.AlertUrl(alert, portalUrl) ?? "",
                ["fingerprint"] = alert.Fingerprint,
            });
        }
        var payload = new JsonObject
        {
            ["version"] = "4",
            ["groupKey"] = groupKey,
            ["truncatedAlerts"] = 0,
            ["status"] = status,
            ["receiver"] = destination,
            ["groupLabels"] = Map(new Dictionary<string, string> { ["alertname"] = group.RuleName, ["service"] = group.Service }),
            ["commonLabels"] = Map(Common(LabelsOf)),
            ["commonAnnotations"] = Map(Common(alert => alert.Annotations)),
            ["externalURL"] = portalUrl?.TrimEnd('/') ?? "",
            ["alerts"] = list,
        };
        return (MessageText.Title(kind, group, alerts.Count), payload.ToJsonString());
    }
}
