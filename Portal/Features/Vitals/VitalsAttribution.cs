using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portal.Features.Vitals;

/// <summary>
/// What an event's <c>attribution</c> may carry, per metric — the fields of web-vitals' attribution build the snippet
/// sends (README, "Web Vitals fields"). Known fields are checked (a number out of range or of the wrong type refuses
/// the event, naming the field), strings are cut to their bound, unknown fields are dropped: what is stored is only
/// what the pages read.
/// </summary>
public static class VitalsAttribution
{
    public const int MaxScripts = 5;
    public const int MaxServerTimings = 10;

    private const double MaxMilliseconds = 120_000;

    private static readonly Dictionary<string, Dictionary<string, Field>> Fields = new Dictionary<string, Dictionary<string, Field>>
    {
        ["LCP"] = Of(Text("target", 256), Text("url", 512), Ms("timeToFirstByte"), Ms("resourceLoadDelay"), Ms("resourceLoadDuration"), Ms("elementRenderDelay")),
        ["INP"] = Of(Text("target", 256), Text("type", 16), Text("loadState", 32), Ms("inputDelay"), Ms("processingDuration"), Ms("presentationDelay"),
            Ms("totalScriptDuration"), Ms("totalStyleAndLayoutDuration")),
        ["CLS"] = Of(Text("target", 256), Text("loadState", 32)),
        ["FCP"] = Of(Ms("timeToFirstByte"), Ms("firstByteToFCP"), Text("loadState", 32)),
        ["TTFB"] = Of(Ms("waitingDuration"), Ms("cacheDuration"), Ms("dnsDuration"), Ms("connectionDuration"), Ms("requestDuration")),
    };

    // A long animation frame's script (INP): where it came from and how long it ran.
    private static readonly Dictionary<string, Field> ScriptFields =
        Of(Text("url", 300), Text("fn", 128), Text("invoker", 128), Text("invokerType", 32), Ms("duration"), Text("subpart", 32));

    // A Server-Timing entry of the navigation (TTFB): name;dur=…;desc=….
    private static readonly Dictionary<string, Field> ServerTimingFields = Of(Text("name", 64), Ms("dur"), Text("desc", 128));

    // The lists an attribution may hold: INP's long-animation-frame scripts, TTFB's Server-Timing entries.
    private static IEnumerable<(string Name, Dictionary<string, Field> Fields, int Max)> Lists(string metric) => metric switch
    {
        "INP" => [("scripts", ScriptFields, MaxScripts)],
        "TTFB" => [("serverTiming", ServerTimingFields, MaxServerTimings)],
        _ => [],
    };

    private sealed record Field(string Name, bool IsText, int Length);

    private static Field Text(string name, int length) => new(name, true, length);

    private static Field Ms(string name) => new(name, false, 0);

    private static Dictionary<string, Field> Of(params Field[] fields) => fields.ToDictionary(field => field.Name);

    /// <summary>
    /// The stored JSON of an event's attribution (null when it carries none), or the problem with the first bad field,
    /// named from <paramref name="prefix"/> (<c>events[3].attribution.inputDelay: …</c>).
    /// </summary>
    public static (string? Json, string? Error) Read(string metric, JsonElement attribution, string prefix)
    {
        if (attribution.ValueKind == JsonValueKind.String)
        {
            // The first snippets sent the target alone.
            return (Serialize(new JsonObject { ["target"] = Cut(attribution.GetString()!, 256) }), null);
        }
        if (attribution.ValueKind != JsonValueKind.Object)
        {
            return (null, $"{prefix}: an object is expected");
        }
        var (stored, error) = ReadObject(attribution, Fields[metric], prefix);
        if (stored is null)
        {
            return (null, error);
        }
        foreach (var (name, fields, max) in Lists(metric))
        {
            if (attribution.TryGetProperty(name, out var list) && list.ValueKind != JsonValueKind.Null)
            {
                var (entries, listError) = ReadList(list, fields, max, $"{prefix}.{name}");
                if (entries is null)
                {
                    return (null, listError);
                }
                if (name == "serverTiming" && entries.Any(entry => entry!["name"] is null))
                {
                    return (null, $"{prefix}.serverTiming: every entry needs its name");
                }
                stored[name] = entries;
            }
        }
        foreach (var empty in stored.Where(field => field.Value is JsonArray { Count: 0 }).Select(field => field.Key).ToList())
        {
            stored.Remove(empty);
        }
        return (stored.Count == 0 ? null : Serialize(stored), null);
    }

    private static (JsonObject? Stored, string? Error) ReadObject(JsonElement item, IReadOnlyDictionary<string, Field> fields, string prefix)
    {
        var stored = new JsonObject();
        foreach (var property in item.EnumerateObject())
        {
            if (!fields.TryGetValue(property.Name, out var field) || property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            var value = property.Value;
            if (field.IsText)
            {
                if (value.ValueKind != JsonValueKind.String)
                {
                    return (null, $"{prefix}.{field.Name}: a string is expected");
                }
                stored[field.Name] = Cut(value.GetString()!, field.Length);
            }
            else if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number) || number < 0 || number > MaxMilliseconds)
            {
                return (null, $"{prefix}.{field.Name}: {value.GetRawText()} is out of range (0 to {MaxMilliseconds:0} ms)");
            }
            else
            {
                stored[field.Name] = Math.Round(number, 3);
            }
        }
        return (stored, null);
    }

    private static (JsonArray? Stored, string? Error) ReadList(JsonElement list, IReadOnlyDictionary<string, Field> fields, int max, string prefix)
    {
        if (list.ValueKind != JsonValueKind.Array)
        {
            return (null, $"{prefix}: an array is expected");
        }
        if (list.GetArrayLength() > max)
        {
            return (null, $"{prefix}: {list.GetArrayLength()} entries; at most {max}");
        }
        var stored = new JsonArray();
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                return (null, $"{prefix}[{index}]: an object is expected");
            }
            var (entry, error) = ReadObject(item, fields, $"{prefix}[{index}]");
            if (error is not null)
            {
                return (null, error);
            }
            stored.Add(entry);
            index++;
        }
        return (stored, null);
    }

    private static string Cut(string text, int length) => text.Length <= length ? text : text[..length];

    // Attribution is shown to people (CSS selectors, URLs): stored as written, "main > img", not "main \u003E img".
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Serialize(JsonObject stored) => stored.ToJsonString(Readable);
}
