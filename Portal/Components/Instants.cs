using System.Globalization;

namespace Portal.Components;

/// <summary>
/// Instants as addresses and APIs carry them, read one way: ISO-8601 (UTC when no offset is given), or — where an API
/// follows Prometheus — Unix seconds too. An absent value is no instant, and not an error.
/// </summary>
public static class Instants
{
    public const string Example = "an ISO-8601 instant such as 2026-11-23T00:00:00Z";

    public static bool TryParse(string? value, out DateTimeOffset? instant, bool unixSeconds = false)
    {
        instant = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }
        if (unixSeconds && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            instant = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
            return true;
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            instant = parsed;
            return true;
        }
        return false;
    }
}
