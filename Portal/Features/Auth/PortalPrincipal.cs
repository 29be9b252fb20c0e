using System.Globalization;
using System.Security.Claims;

namespace Portal.Features.Auth;

public static class PortalClaims
{
    public const string DisplayName = "portal:display_name";
    public const string Role = "portal:role";
    public const string Method = "portal:auth_method";
    public const string TokenName = "portal:token";
    public const string Session = "portal:session";
}

/// <summary>Builds the principal every sign-in method produces, and reads it back.</summary>
public static class PortalPrincipal
{
    public const string Password = "password";
    public const string Token = "token";
    public const string Proxy = "proxy";

    public static ClaimsPrincipal Create(PortalUser user, string role, string method, string scheme, string? tokenName = null, Guid? session = null)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)),
            new(ClaimTypes.Name, user.Login),
            new(PortalClaims.DisplayName, user.DisplayName),
            new(PortalClaims.Role, role),
            new(PortalClaims.Method, method),
        };
        claims.AddRange(PortalRoles.Included(role).Select(included => new Claim(ClaimTypes.Role, included)));
        if (tokenName is not null)
        {
            claims.Add(new Claim(PortalClaims.TokenName, tokenName));
        }
        if (session is not null)
        {
            claims.Add(new Claim(PortalClaims.Session, session.Value.ToString()));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static long? UserId(this ClaimsPrincipal principal) =>
        long.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), CultureInfo.InvariantCulture, out var id) ? id : null;

    /// <summary>The sign-in session a cookie names (null for API tokens and the SSO proxy's users).</summary>
    public static Guid? SessionId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(PortalClaims.Session), out var id) ? id : null;

    /// <summary>The principal's own (highest) role.</summary>
    public static string? PortalRole(this ClaimsPrincipal principal) => principal.FindFirstValue(PortalClaims.Role);
}
