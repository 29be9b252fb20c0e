using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Portal.Components;

namespace Portal.Features.Alerts;

/// <summary>
/// What every channel's message shares: texts cut to a channel's documented limit (an ellipsis, never inside an escape
/// or a surrogate pair), a group's title, the key that ties a group's episode together at the receiver, and an alert's
/// line in plain text.
/// </summary>
public static class MessageText
{
    /// <summary>The title every channel shows: <c>[FIRING:2] rule — service</c>, <c>[RESOLVED] rule — service</c>.</summary>
    public static string Title(string kind, AlertGroup group, int alerts) => kind == NotificationKinds.Resolved
        ? $"[RESOLVED] {group.RuleName} — {Service(group)}"
        : $"[FIRING:{alerts}] {group.RuleName} — {Service(group)}";

    public static string Service(AlertGroup group) => group.Service.Length > 0 ? group.Service : "(no service)";

    /// <summary>
    /// The key a receiver correlates a group's notifications by (PagerDuty's <c>dedup_key</c>, Opsgenie's <c>alias</c>):
    /// one per group and episode — the trigger, its repeats and its resolution share it; the next episode has its own.
    /// </summary>
    public static string EpisodeKey(string groupKey, DateTimeOffset? episode) =>
        "portal-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{groupKey}\n{episode?.ToUnixTimeMilliseconds()}")))[..32];

    /// <summary><paramref name="text"/> in at most <paramref name="limit"/> characters, ended with an ellipsis when cut.</summary>
    public static string Cut(string text, int limit) => Shorten(text, limit, piece => piece, out _);

    /// <summary>
    /// <paramref name="raw"/> as <paramref name="encode"/> writes it, whole when that fits in <paramref name="limit"/>
    /// characters, else cut between two characters (never inside an escape or a surrogate pair) and ended with an ellipsis.
    /// </summary>
    public static string Shorten(string raw, int limit, Func<string, string> encode, out bool cut)
    {
        var whole = encode(raw);
        cut = whole.Length > limit;
        if (!cut)
        {
            return whole;
        }
        var shortened = new StringBuilder(limit);
        foreach (var rune in raw.EnumerateRunes())
        {
            var piece = encode(rune.ToString());
            if (shortened.Length + piece.Length + 1 > limit)
            {
                break;
            }
            shortened.Append(piece);
        }
        return shortened.Append('…').ToString();
    }

    /// <summary>An alert's value against its threshold, its severity and since when: "0.93 against 0.99 (critical) since 2026-12-01 10:00 UTC".</summary>
    public static string Reading(string kind, AlertInstance alert) => kind == NotificationKinds.Resolved
        ? "resolved"
        : $"{AlertInstance.Format(alert.Value)} against {AlertInstance.Format(alert.Threshold)} ({alert.Severity})" +
          (alert.ActiveSince is { } at ? $" since {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC" : "");

    /// <summary>An alert's labels, "key=value, …", each value cut to <paramref name="valueLimit"/>.</summary>
    public static string Labels(AlertInstance alert, int valueLimit) =>
        string.Join(", ", alert.Labels.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}={Cut(pair.Value, valueLimit)}"));

    /// <summary>The alert's page, where it is whole, when the portal's address is known.</summary>
    public static string? AlertUrl(AlertInstance alert, string? portalUrl) =>
        portalUrl is { Length: > 0 } portal ? PortalLinks.Absolute(portal, PortalLinks.Alert(alert.Fingerprint)) : null;

    public static string? AlertsUrl(string? portalUrl) => portalUrl is { Length: > 0 } portal ? PortalLinks.Absolute(portal, PortalLinks.Alerts) : null;
}
