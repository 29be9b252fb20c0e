namespace Portal.Components;

/// <summary>The dark/light choice, remembered per browser in a cookie that <c>wwwroot/js/shell.js</c> writes.</summary>
public static class ThemePreference
{
    public const string CookieName = "portal-theme";

    /// <returns><c>true</c> for dark, <c>false</c> for light, <c>null</c> when the browser has not chosen.</returns>
    public static bool? Read(IRequestCookieCollection cookies) => cookies[CookieName] switch
    {
        "dark" => true,
        "light" => false,
        _ => null,
    };
}
