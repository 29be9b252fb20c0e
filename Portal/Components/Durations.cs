using System.Globalization;
using Humanizer;

namespace Portal.Components;

/// <summary>Elapsed time in words, to the second: "12 seconds", "3 minutes".</summary>
public static class Durations
{
    public static string InWords(TimeSpan span) =>
        span < TimeSpan.FromSeconds(1) ? "under a second" : span.Humanize(minUnit: TimeUnit.Second);

    public static string Ago(TimeSpan span) => span < TimeSpan.FromSeconds(1) ? "just now" : $"{InWords(span)} ago";

    /// <summary>
    /// A duration in milliseconds, the one way every page, the report, its e-mail and the messages word it: "0.12 ms",
    /// "45.68 ms", "1.24 s", "13.5 min", "2.4 h"; "—" for none.
    /// </summary>
    public static string Milliseconds(double? ms) => ms switch
    {
        null => "—",
        < 1_000 and var under => string.Create(CultureInfo.InvariantCulture, $"{under:0.##} ms"),
        < 60_000 and var seconds => string.Create(CultureInfo.InvariantCulture, $"{seconds / 1_000:0.##} s"),
        < 3_600_000 and var minutes => string.Create(CultureInfo.InvariantCulture, $"{minutes / 60_000:0.#} min"),
        var hours => string.Create(CultureInfo.InvariantCulture, $"{hours / 3_600_000:0.#} h"),
    };
}
