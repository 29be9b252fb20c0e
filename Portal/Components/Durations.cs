using Humanizer;

namespace Portal.Components;

/// <summary>Elapsed time in words, to the second: "12 seconds", "3 minutes".</summary>
public static class Durations
{
    public static string InWords(TimeSpan span) =>
        span < TimeSpan.FromSeconds(1) ? "under a second" : span.Humanize(minUnit: TimeUnit.Second);

    public static string Ago(TimeSpan span) => span < TimeSpan.FromSeconds(1) ? "just now" : $"{InWords(span)} ago";
}
