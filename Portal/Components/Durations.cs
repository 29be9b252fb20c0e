using Humanizer;

namespace Portal.Components;

/// <summary>Elapsed time in words, to the second: "12 seconds", "3 minutes".</summary>
public static class Durations
{
    public static string InWords(TimeSpan span) =>
        span < TimeSpan.FromSeconds(1) ? "under a second" : span.Humanize(minUnit: TimeUnit.Second);

    public static string Ago(TimeSpan span) => span < TimeSpan.FromSeconds(1) ? "just now" : $"{InWords(span)} ago";

    /// <summary>Milliseconds as a person writes them: "800 ms", "1.2 s", "2 s".</summary>
    public static string Milliseconds(double ms) => ms >= 1_000
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ms / 1_000:0.##} s")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ms:0.##} ms");
}
