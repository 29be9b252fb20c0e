using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Portal.Features.Vitals;

/// <summary>
/// What an event's <c>attribution</c> may carry, per metric — the fields of web-vitals' attribution build the snippet
/// sends (README, "Web Vitals fields"). Known fields are checked (a number out of range or of the wrong type refuses
/// the event, naming the field), strings are cut to their bound, unknown fields are dropped: what is stored is only
/// what the pages read.
/// </summary>
public static class VitalsAttribution
{
    public const int MaxScripts = 3;
    public const int MaxServerTimings = 10;

    private const double MaxMilliseconds = 120_000;

    // Only what the pages and the report read: FCP carries nothing, TTFB only its Server-Timing entries (the list below).
    private static readonly Dictionary<string, Field[]> Fields = new()
    {
        ["LCP"] = [Text("target", 256), Text("url", 512), Ms("timeToFirstByte"), Ms("resourceLoadDelay"), Ms("resourceLoadDuration"), Ms("elementRenderDelay")],
        ["INP"] = [Text("target", 256), Text("type", 16), Text("loadState", 32), Ms("inputDelay"), Ms("processingDuration"), Ms("presentationDelay")],
        ["CLS"] = [Text("target", 256), Text("loadState", 32)],
        ["FCP"] = [],
        ["TTFB"] = [],
    };

    // A long animation frame's script (INP): where it came from and how long it ran.
    private static readonly Field[] ScriptFields = [Text("url", 300), Text("fn", 128), Text("invoker", 128), Ms("duration")];

    // A Server-Timing entry of the navigation (TTFB): name;dur=…;desc=….
    private static readonly Field[] ServerTimingFields = [Text("name", 64), Ms("dur"), Text("desc", 128)];

    // The lists an attribution may hold: INP's long-animation-frame scripts, TTFB's Server-Timing entries.
    private static readonly (string Name, Field[] Fields, int Max)[] InpLists = [("scripts", ScriptFields, MaxScripts)];
    private static readonly (string Name, Field[] Fields, int Max)[] TtfbLists = [("serverTiming", ServerTimingFields, MaxServerTimings)];

    private static (string Name, Field[] Fields, int Max)[] Lists(string metric) => metric switch
    {
        "INP" => InpLists,
        "TTFB" => TtfbLists,
        _ => [],
    };

    // A field: its name (also pre-encoded for the writer), text cut to Length or a duration in 0..MaxMilliseconds.
    private sealed record Field(string Name, bool IsText, int Length)
    {
        public JsonEncodedText Encoded { get; } = JsonEncodedText.Encode(Name);
    }

    private static Field Text(string name, int length) => new(name, true, length);

    private static Field Ms(string name) => new(name, false, 0);

    /// <summary>
    /// The stored JSON of an event's attribution (null when it carries none), or the problem with the first bad field,
    /// named after the event's <paramref name="eventPrefix"/> (<c>events[3].</c> → <c>events[3].attribution.inputDelay: …</c>).
    /// Written as it is read, and names are composed only for a problem: this runs for every event the ingestion takes.
    /// </summary>
    public static (string? Json, string? Error) Read(string metric, JsonElement attribution, string eventPrefix)
    {
        var prefix = eventPrefix + "attribution";
        if (attribution.ValueKind is not (JsonValueKind.Object or JsonValueKind.String))
        {
            return (null, $"{prefix}: an object is expected");
        }
        var output = buffer ??= new ArrayBufferWriter<byte>(1024);
        output.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        if (attribution.ValueKind == JsonValueKind.String)
        {
            // The first snippets sent the target alone.
            writer.WriteString("target", Cut(attribution.GetString()!, 256));
            writer.WriteEndObject();
            writer.Flush();
            return (Encoding.UTF8.GetString(output.WrittenSpan), null);
        }
        var (written, bad, problem) = WriteFields(writer, attribution, Fields[metric]);
        if (bad is not null)
        {
            return (null, $"{prefix}.{bad.Name}: {problem}");
        }
        foreach (var (name, fields, max) in Lists(metric))
        {
            if (!attribution.TryGetProperty(name, out var list) || list.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            if (list.ValueKind != JsonValueKind.Array)
            {
                return (null, $"{prefix}.{name}: an array is expected");
            }
            if (list.GetArrayLength() > max)
            {
                return (null, $"{prefix}.{name}: {list.GetArrayLength()} entries; at most {max}");
            }
            if (list.GetArrayLength() == 0)
            {
                continue;
            }
            writer.WriteStartArray(name);
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    return (null, $"{prefix}.{name}[{index}]: an object is expected");
                }
                if (name == "serverTiming" && !(item.TryGetProperty("name", out var entryName) && entryName.ValueKind == JsonValueKind.String))
                {
                    return (null, $"{prefix}.{name}: every entry needs its name");
                }
                writer.WriteStartObject();
                if (WriteFields(writer, item, fields) is { Bad: { } badItem } failed)
                {
                    return (null, $"{prefix}.{name}[{index}].{badItem.Name}: {failed.Problem}");
                }
                writer.WriteEndObject();
                index++;
            }
            writer.WriteEndArray();
            written++;
        }
        writer.WriteEndObject();
        writer.Flush();
        return (written == 0 ? null : Encoding.UTF8.GetString(output.WrittenSpan), null);
    }

    // The documented fields of one object, checked and written in their order (looked up, not enumerated: the input's
    // other properties are never read); nulls left out. Durations keep a tenth of a millisecond.
    private static (int Written, Field? Bad, string? Problem) WriteFields(Utf8JsonWriter writer, JsonElement item, Field[] fields)
    {
        var written = 0;
        foreach (var field in fields)
        {
            if (!item.TryGetProperty(field.Name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            if (field.IsText)
            {
                if (value.ValueKind != JsonValueKind.String)
                {
                    return (written, field, "a string is expected");
                }
                // Most strings are short and unescaped: copied as they came (no string made); others are read, cut, written.
                var raw = JsonMarshal.GetRawUtf8Value(value);
                if (raw.Length - 2 <= field.Length && raw.IndexOf((byte)'\\') < 0)
                {
                    writer.WritePropertyName(field.Encoded);
                    writer.WriteRawValue(raw, skipInputValidation: true);
                }
                else
                {
                    writer.WriteString(field.Encoded, Cut(value.GetString()!, field.Length));
                }
            }
            else if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number) || number < 0 || number > MaxMilliseconds)
            {
                return (written, field, $"{value.GetRawText()} is out of range (0 to {MaxMilliseconds:0} ms)");
            }
            else
            {
                writer.WriteNumber(field.Encoded, Math.Round(number, 1, MidpointRounding.AwayFromZero)); // as the snippet rounds
            }
            written++;
        }
        return (written, null, null);
    }

    // Cut to the bound, never between the two halves of a surrogate pair.
    private static string Cut(string text, int length) =>
        text.Length <= length ? text : text[..(char.IsHighSurrogate(text[length - 1]) ? length - 1 : length)];

    // Attribution is shown to people (CSS selectors, URLs): stored as written, "main > img", not "main \u003E img".
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? buffer;
}
