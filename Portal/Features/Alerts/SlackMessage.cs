using Portal.Components;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portal.Features.Alerts;

/// <summary>
/// A group's notification as Slack shows it: the title <c>[FIRING:2] rule — service</c>, a colour by severity (green
/// once resolved), each alert's value against its threshold and since when, and links into the portal and the runbook.
/// </summary>
public static class SlackMessage
{
    public static (string Title, string Payload) Build(string kind, AlertGroup group, IReadOnlyList<AlertInstance> alerts, string? portalUrl)
    {
        var title = kind == NotificationKinds.Resolved
            ? $"[RESOLVED] {group.RuleName} — {Service(group)}"
            : $"[FIRING:{alerts.Count}] {group.RuleName} — {Service(group)}";
        var severity = alerts.Select(alert => alert.Severity).FirstOrDefault() ?? AlertSeverities.Warning;
        var colour = kind == NotificationKinds.Resolved ? "#2EB67D" : severity is AlertSeverities.Critical or AlertSeverities.Page ? "#E01E5A" : "#ECB22E";
        var blocks = new JsonArray
        {
            new JsonObject { ["type"] = "section", ["text"] = Markdown($"*{Escape(title)}*{(kind == NotificationKinds.Repeat ? " (still firing)" : "")}") },
        };
        foreach (var alert in alerts.Take(10))
        {
            var summary = alert.Summary;
            var since = alert.ActiveSince is { } at ? $" since {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC" : "";
            var line = kind == NotificationKinds.Resolved
                ? $"• {Escape(summary ?? alert.RuleName)} — resolved"
                : $"• {Escape(summary ?? alert.RuleName)} — *{Number(alert.Value)}* against {Number(alert.Threshold)} ({alert.Severity}){since}";
            var labels = string.Join(", ", alert.Labels.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}={pair.Value}"));
            blocks.Add(new JsonObject { ["type"] = "section", ["text"] = Markdown($"{line}\n_{Escape(labels)}_") });
        }
        if (alerts.Count > 10)
        {
            blocks.Add(new JsonObject { ["type"] = "context", ["elements"] = new JsonArray(Markdown($"and {alerts.Count - 10} more")) });
        }
        var links = Links(alerts, portalUrl).ToList();
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
                    yield return $"<{PortalLinks.Absolute(portal, page(value))}|{name}: {Escape(value)}>";
                }
            }
            if (alerts.Any(alert => alert.Labels.ContainsKey("job")))
            {
                yield return $"<{PortalLinks.Absolute(portal, PortalLinks.Jobs)}|Jobs>";
            }
        }
        foreach (var runbook in alerts.Select(alert => alert.Annotations.GetValueOrDefault("runbook")).OfType<string>().Distinct().Take(3))
        {
            yield return $"<{runbook}|Runbook>";
        }
    }

    private static string Service(AlertGroup group) => group.Service.Length > 0 ? group.Service : "(no service)";

    private static JsonObject Markdown(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    // Slack's three control characters in text.
    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Number(double? value) => AlertInstance.Format(value);
}
