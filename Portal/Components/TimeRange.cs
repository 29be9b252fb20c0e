using Portal.Components;
using System.Globalization;

namespace Portal.Components;

/// <summary>
/// The time range a page shows, as the address carries it: <c>range=1h|6h|24h|7d</c> ending now, or
/// <c>range=custom&amp;from=…&amp;to=…</c> (ISO-8601). Shared by every page with a time axis.
/// </summary>
public sealed record TimeRange(string Key, DateTimeOffset From, DateTimeOffset To)
{
    public static readonly IReadOnlyDictionary<string, TimeSpan> Presets = new Dictionary<string, TimeSpan>
    {
        ["1h"] = TimeSpan.FromHours(1),
        ["6h"] = TimeSpan.FromHours(6),
        ["24h"] = TimeSpan.FromDays(1),
        ["7d"] = TimeSpan.FromDays(7),
        ["30d"] = TimeSpan.FromDays(30),
    };

    public const string Custom = "custom";

    /// <summary>What an API's <c>window</c> parameter takes, for its 400.</summary>
    public static string WindowParameterRule =>
        $"window must be one of {string.Join(", ", Presets.Keys)}, or custom with from and to (ISO-8601, from before to); from and to go with window=custom only.";

    public TimeSpan Span => To - From;

    public static TimeRange Parse(string? key, string? from, string? to, DateTimeOffset now, string fallback = "1h")
    {
        if (key == Custom && Instants.TryParse(from, out var start) && Instants.TryParse(to, out var end) && start is { } first && end is { } last && last > first)
        {
            return new TimeRange(Custom, first, last);
        }
        var preset = key is not null && Presets.ContainsKey(key) ? key : fallback;
        return new TimeRange(preset, now - Presets[preset], now);
    }

    /// <summary>
    /// An API's <c>window</c> (a preset, <paramref name="fallback"/> when absent) or <c>window=custom&amp;from=…&amp;to=…</c>;
    /// null when it is not one (answer 400 with <see cref="WindowParameterRule"/>). from and to go with custom only:
    /// beside another window they were once ignored, and the last 24 h answered.
    /// </summary>
    public static TimeRange? FromApiQuery(Microsoft.AspNetCore.Http.IQueryCollection query, DateTimeOffset now, string fallback = "24h")
    {
        static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
        var key = Given(query["window"]) ?? fallback;
        if (key != Custom && (!Presets.ContainsKey(key) || Given(query["from"]) is not null || Given(query["to"]) is not null))
        {
            return null;
        }
        var range = Parse(key, query["from"], query["to"], now, fallback: key == Custom ? fallback : key);
        return range.Key == key ? range : null;
    }

    /// <summary>The query-string values that reproduce this range (a preset keeps following "now").</summary>
    public (string Range, string? From, string? To) ToQuery() =>
        Key == Custom ? (Custom, From.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), To.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)) : (Key, null, null);

    /// <summary>
    /// A chart's time axis for sparse points (a run a day, a load test a week): their own span with a margin, within the
    /// range, so that they do not sit in a corner of a month.
    /// </summary>
    public (long From, long To) AxisFor(IReadOnlyCollection<long> unixSeconds)
    {
        var (first, last) = (unixSeconds.Min(), unixSeconds.Max());
        var margin = Math.Max(3600, (last - first) / 20);
        return (Math.Max(From.ToUnixTimeSeconds(), first - margin), Math.Min(To.ToUnixTimeSeconds(), last + margin));
    }

    /// <summary>A step giving about one point per <paramref name="pixelsPerPoint"/> pixels of a chart <paramref name="widthPixels"/> wide, never under 1 s, rounded to whole seconds.</summary>
    public TimeSpan StepFor(int widthPixels, int pixelsPerPoint = 4)
    {
        var points = Math.Max(10, widthPixels / pixelsPerPoint);
        return TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(Span.TotalSeconds / points)));
    }
}
