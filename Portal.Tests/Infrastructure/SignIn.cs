using System.Net;
using System.Text.RegularExpressions;

namespace Portal.Tests.Infrastructure;

/// <summary>Signs in through the real login form: its antiforgery token, its field names, its cookie.</summary>
public static partial class SignIn
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>A client that keeps cookies and does not follow redirects, so tests see each status code.</summary>
    public static HttpClient NewClient(Uri baseAddress) => NewClient(baseAddress, new CookieContainer());

    /// <summary>The same, keeping its cookies in <paramref name="cookies"/> (to hand them to a browser).</summary>
    public static HttpClient NewClient(Uri baseAddress, CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = baseAddress };

    public static async Task<string> AntiforgeryTokenAsync(HttpClient client, string path = "/login")
    {
        var form = await client.GetStringAsync(new Uri(path, UriKind.Relative));
        return WebUtility.HtmlDecode(AntiforgeryField().Match(form) is { Success: true } match
            ? match.Groups[1].Value
            : throw new InvalidOperationException($"No antiforgery token on {path}"));
    }

    /// <summary>Posts the login form; the response is returned as is (302 on success, 400 with the form again otherwise).</summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string login, string password, bool rememberMe = false)
    {
        var token = await AntiforgeryTokenAsync(client);
        var fields = new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.Login"] = login,
            ["Input.Password"] = password,
        };
        if (rememberMe)
        {
            fields["Input.RememberMe"] = "True";
        }
        return await client.PostAsync(new Uri("/login", UriKind.Relative), new FormUrlEncodedContent(fields));
    }
}
