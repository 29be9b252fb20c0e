namespace Portal.Components;

/// <summary>
/// The viewer's time zone, remembered per browser in a cookie that <c>wwwroot/js/browser.js</c> writes once the page
/// has asked the browser. The first render of the next page already shows local times, so nothing jumps from UTC when
/// the circuit connects, and the layout does not re-render every time on each new tab.
/// </summary>
public static class TimeZonePreference
{
    public const string CookieName = "portal-tz";

    /// <returns>The remembered IANA zone when it is one this server knows; <c>null</c> otherwise.</returns>
    public static string? Read(IRequestCookieCollection cookies) =>
        cookies[CookieName] is { Length: > 0 and <= 64 } zone && TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _) ? zone : null;
}
