using System.Text.Json;

namespace Portal.Features.Vitals;

/// <summary>
/// The body of <c>POST /api/v1/vitals</c>: one event, or <c>{"key", "events": [...]}</c>. Parsed whole before anything
/// is queued, so a batch with one bad event is refused entirely; the error names the first bad field.
/// </summary>
public static class VitalsPayload
{
    public const int MaxBytes = 64 * 1024;
    public const int MaxEvents = 100;
    public const int MaxPageLength = 512;
    private static readonly string[] Devices = ["mobile", "tablet", "desktop"];

    /// <summary>web-vitals' navigation type of a soft navigation's metrics (<c>reportSoftNavs</c>).</summary>
    public const string SoftNavigation = "soft-navigation";

    /// <summary>The highest send number an instance may carry (a page that stays open a long time changes its INP often).</summary>
    public const int MaxReport = 10_000;

    public sealed record Parsed(string? Key, IReadOnlyList<JsonElement> Events);

    /// <summary>The key and the raw events, or the problem with the body's shape.</summary>
    public static (Parsed? Parsed, string? Error, bool TooMany) Read(JsonDocument document)
    {
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, "body: a JSON object is expected (one event, or {\"key\", \"events\": [...]})", false);
        }
        var key = root.TryGetProperty("key", out var keyElement) && keyElement.ValueKind == JsonValueKind.String ? keyElement.GetString() : null;
        if (!root.TryGetProperty("events", out var events))
        {
            return (new Parsed(key, [root]), null, false);
        }
        if (events.ValueKind != JsonValueKind.Array)
        {
            return (null, "events: an array of events is expected", false);
        }
        var count = events.GetArrayLength();
        if (count > MaxEvents)
        {
            return (null, $"events: {count} events in one batch; at most {MaxEvents}", true);
        }
        return (new Parsed(key, events.EnumerateArray().ToList()), null, false);
    }

    /// <summary>The stored form of each event, or the first bad field (<c>events[i].field: what is wrong</c>).</summary>
    public static (List<VitalsEvent>? Events, string? Error) Validate(VitalsApp app, IReadOnlyList<JsonElement> raw, DateTimeOffset receivedAt, bool batch)
    {
        var events = new List<VitalsEvent>(raw.Count);
        for (var index = 0; index < raw.Count; index++)
        {
            var prefix = batch ? $"events[{index}]." : "";
            var item = raw[index];
            if (item.ValueKind != JsonValueKind.Object)
            {
                return (null, $"{(batch ? $"events[{index}]" : "body")}: an event object is expected");
            }
            var name = Text(item, "name");
            if (VitalsMetric.Find(name) is not { } metric)
            {
                return (null, $"{prefix}name: {(name is null ? "missing" : $"unknown metric “{name}”")}; one of {string.Join(", ", VitalsMetric.All.Select(known => known.Name))}");
            }
            if (!TryNumber(item, "value", out var value) || value < 0 || value > metric.Max)
            {
                return (null, $"{prefix}value: {(item.TryGetProperty("value", out var given) ? given.GetRawText() : "missing")} is out of range for {metric.Name} (0 to {metric.Max:0.###}{(metric.Unit == "" ? "" : " " + metric.Unit)})");
            }
            var delta = TryNumber(item, "delta", out var givenDelta) ? givenDelta : value;
            if (Text(item, "id") is not { Length: > 0 and <= 128 } id)
            {
                return (null, $"{prefix}id: missing (the web-vitals metric id, at most 128 characters)");
            }
            var page = Text(item, "page") ?? "/";
            if (page.Length > MaxPageLength)
            {
                return (null, $"{prefix}page: {page.Length} characters; at most {MaxPageLength}");
            }
            var device = Text(item, "device") ?? "unknown";
            if (device != "unknown" && !Devices.Contains(device))
            {
                return (null, $"{prefix}device: “{device}”; one of {string.Join(", ", Devices)}");
            }
            string? attribution = null;
            if (item.TryGetProperty("attribution", out var attributionElement) && attributionElement.ValueKind != JsonValueKind.Null)
            {
                (attribution, var attributionError) = VitalsAttribution.Read(metric.Name, attributionElement, prefix);
                if (attributionError is not null)
                {
                    return (null, attributionError);
                }
            }
            var navigationType = Short(item, "navigationType", 32);
            if (navigationType == SoftNavigation && !app.SoftNavigations)
            {
                return (null, $"{prefix}navigationType: soft navigations are off for the app “{app.Id}”; turn them on in its settings (Web Vitals apps) or leave the snippet's data-soft-navigations out");
            }
            // The snippet numbers each send of an INP or CLS instance: 1 the first (the default), 2 once it changed, …
            var report = 1;
            if (item.TryGetProperty("report", out var reportElement) && reportElement.ValueKind != JsonValueKind.Null
                && !(reportElement.ValueKind == JsonValueKind.Number && reportElement.TryGetInt32(out report) && report is >= 1 and <= MaxReport))
            {
                return (null, $"{prefix}report: {reportElement.GetRawText()}; a whole number from 1 to {MaxReport} (which send of this instance it is)");
            }
            if (report > 1 && !metric.Repeats)
            {
                return (null, $"{prefix}report: only INP and CLS instances are sent again as they change; {metric.Name} is sent once");
            }
            events.Add(new VitalsEvent(app.Id, receivedAt, metric.Name, value, delta, metric.RatingOf(value), id, navigationType,
                PageGroups.PageOf(app, StripQuery(page)), device, Short(item, "connection", 16), Short(item, "release", 64), attribution) { Report = (short)report });
        }
        return (events, null);
    }

    // A page is a path or a route template: the query string and fragment identify users, not pages.
    private static string StripQuery(string page) => page.Split('?', '#')[0] is { Length: > 0 } path ? path : "/";

    private static string? Text(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? Short(JsonElement item, string name, int max) => Text(item, name) is { } text ? text.Length <= max ? text : text[..max] : null;

    private static bool TryNumber(JsonElement item, string name, out double number)
    {
        number = 0;
        return item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out number) && double.IsFinite(number);
    }
}
