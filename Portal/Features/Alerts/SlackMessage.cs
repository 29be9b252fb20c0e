using Portal.Components;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portal.Features.Alerts;

/// <summary>
/// A group's notification as Slack shows it: the title <c>[FIRING:2] rule — service</c>, a colour by severity (green
/// once resolved), each alert's value against its threshold and since when, and links into the portal and the runbook.
/// Every text is within Block Kit's limits: Slack refuses a message with one text too long as a whole
/// (<c>invalid_blocks</c>), and the notification would be dead — a long summary or label value is cut with an
/// ellipsis, and the alert's line then links to its page in the portal, where it is whole.
/// </summary>
public static class SlackMessage
{
    /// <summary>Block Kit's limit on the text of a section and of a context element, in characters.</summary>
    public const int TextLimit = 3000;

    /// <summary>The title's (and notification text's) length at most: Slack shows about a line of it.</summary>
    public const int TitleLimit = 150;

    private const int SummaryLimit = 1000;
    private const int LinkLabelLimit = 100;
    private const int RunbookUrlLimit = 500;

    public static (string Title, string Payload) Build(string kind, AlertGroup group, IReadOnlyList<AlertInstance> alerts, string? portalUrl)
    {
        var title = MessageText.Cut(MessageText.Title(kind, group, alerts.Count), TitleLimit);
        var severity = alerts.Select(alert => alert.Severity).FirstOrDefault() ?? AlertSeverities.Warning;
        var colour = kind == NotificationKinds.Resolved ? "#2EB67D" : severity is AlertSeverities.Critical or AlertSeverities.Page ? "#E01E5A" : "#ECB22E";
        var blocks = new JsonArray
        {
            new JsonObject { ["type"] = "section", ["text"] = Markdown($"*{Escape(title)}*{(kind == NotificationKinds.Repeat ? " (still firing)" : "")}") },
        };
        foreach (var alert in alerts.Take(10))
        {
            blocks.Add(new JsonObject { ["type"] = "section", ["text"] = Markdown(AlertLine(kind, alert, portalUrl)) });
        }
        if (alerts.Count > 10)
        {
            blocks.Add(new JsonObject { ["type"] = "context", ["elements"] = new JsonArray(Markdown($"and {alerts.Count - 10} more")) });
        }
        // Links are whole or left out: one cut in the middle would be a broken link.
        var links = new List<string>();
        foreach (var link in Links(alerts, portalUrl))
        {
            if (links.Sum(kept => kept.Length + 3) + link.Length <= TextLimit)
            {
                links.Add(link);
            }
        }
        if (links.Count > 0)
        {
            blocks.Add(new JsonObject { ["type"] = "context", ["elements"] = new JsonArray(Markdown(string.Join(" · ", links))) });
        }
        var payload = new JsonObject
        {
            ["text"] = title, // what notifications and screen readers show
            ["attachments"] = new JsonArray(new JsonObject { ["color"] = colour, ["blocks"] = blocks }),
        };
        return (title, payload.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    }

    /// <summary>One alert's section: its summary, value, threshold and since when, then its labels; each within its share of the limit.</summary>
    private static string AlertLine(string kind, AlertInstance alert, string? portalUrl)
    {
        var since = alert.ActiveSince is { } at ? $" since {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC" : "";
        var summary = Fit(alert.Summary ?? alert.RuleName, SummaryLimit, out var summaryCut);
        var line = kind == NotificationKinds.Resolved
            ? $"• {summary} — resolved"
            : $"• {summary} — *{Number(alert.Value)}* against {Number(alert.Threshold)} ({alert.Severity}){since}";
        var whole = portalUrl is { Length: > 0 } portal ? $" <{PortalLinks.Absolute(portal, PortalLinks.Alert(alert.Fingerprint))}|the whole alert>" : "";
        var labels = Fit(string.Join(", ", alert.Labels.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}={pair.Value}")),
            TextLimit - line.Length - whole.Length - 3, out var labelsCut);
        return $"{line}\n_{labels}_" + (summaryCut || labelsCut ? whole : "");
    }

    /// <summary>The message of the "send test message" button: proof that the destination receives the portal's messages.</summary>
    public static (string Title, string Payload) Test(string requestedBy, string? portalUrl)
    {
        var title = "[TEST] Portal can post here";
        var text = $"*{title}*\nSent by {Escape(requestedBy)} from {(portalUrl is { Length: > 0 } portal ? $"<{portal.TrimEnd('/')}/alerts|the portal's Alerts page>" : "the portal")}. Alerts will arrive like this.";
        var payload = new JsonObject
        {
            ["text"] = title,
            ["attachments"] = new JsonArray(new JsonObject { ["color"] = "#1D9BD1", ["blocks"] = new JsonArray(new JsonObject { ["type"] = "section", ["text"] = Markdown(text) }) }),
        };
        return (title, payload.ToJsonString());
    }

    private static readonly (string Label, Func<string, string> Page, string Name)[] ExplainingPages =
        [("objective", PortalLinks.Objective, "Scorecard"), ("target", target => PortalLinks.Statements(target), "Queries"), ("app", PortalLinks.VitalsApp, "Web Vitals")];

    private static IEnumerable<string> Links(IReadOnlyList<AlertInstance> alerts, string? portalUrl)
    {
        if (portalUrl is { Length: > 0 } portal)
        {
            yield return $"<{PortalLinks.Absolute(portal, PortalLinks.Alerts)}|Alerts>";
            // The page that explains each alert: its objective's scorecard, its target's queries, its app's Web Vitals, the jobs.
            foreach (var (label, page, name) in ExplainingPages)
            {
                foreach (var value in alerts.Select(alert => alert.Labels.GetValueOrDefault(label)).OfType<string>().Distinct().Take(3))
                {
                    yield return $"<{PortalLinks.Absolute(portal, page(value))}|{name}: {Fit(value, LinkLabelLimit, out _)}>";
                }
            }
            if (alerts.Any(alert => alert.Labels.ContainsKey("job")))
            {
                yield return $"<{PortalLinks.Absolute(portal, PortalLinks.Jobs)}|Jobs>";
            }
        }
        foreach (var runbook in alerts.Select(alert => alert.Annotations.GetValueOrDefault("runbook")).OfType<string>()
                     .Where(url => url.Length <= RunbookUrlLimit).Distinct().Take(3))
        {
            yield return $"<{runbook}|Runbook>";
        }
    }

    private static JsonObject Markdown(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    /// <summary><paramref name="raw"/> escaped for Slack in at most <paramref name="limit"/> characters (<see cref="MessageText.Shorten"/>).</summary>
    private static string Fit(string raw, int limit, out bool cut) => MessageText.Shorten(raw, limit, Escape, out cut);

    // Slack's three control characters in text.
    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Number(double? value) => AlertInstance.Format(value);
}
