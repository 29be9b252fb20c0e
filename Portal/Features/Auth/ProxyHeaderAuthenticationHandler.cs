using System.Net;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Portal.Hosting;

namespace Portal.Features.Auth;

/// <summary>
/// Header mode: an SSO proxy in front of the portal has authenticated the user and passes their e-mail and groups in
/// headers. Believed only from the configured proxy addresses; groups map to roles in configuration.
/// </summary>
public sealed class ProxyHeaderAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<AuthOptions> auth,
    UserStore users,
    IMemoryCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ProxyHeader";

    private HeaderAuthOptions Settings => auth.Value.Header;

    private bool FromTrustedProxy()
    {
        // The proxy itself, not the client address it forwards.
        var remote = Context.PeerAddress();
        if (remote is null)
        {
            return false;
        }
        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }
        return Settings.TrustedProxies.Count == 0
            ? IPAddress.IsLoopback(remote)
            : Settings.TrustedProxies.Any(proxy => IPAddress.Parse(proxy).Equals(remote));
    }

    /// <summary>The highest role any of the groups maps to, else the default role (null: refused).</summary>
    public static string? RoleFor(IEnumerable<string> groups, HeaderAuthOptions settings)
    {
        var mapped = groups
            .Select(group => settings.GroupRoles.GetValueOrDefault(group.Trim()))
            .Where(PortalRoles.IsRole)
            .Select(role => role!)
            .ToList();
        return mapped.Count > 0
            ? mapped.MaxBy(PortalRoles.Rank)
            : settings.DefaultRole.Length > 0 ? settings.DefaultRole : null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!FromTrustedProxy())
        {
            return AuthenticateResult.Fail($"Request from {Context.PeerAddress()}, which is not a trusted proxy.");
        }

        var email = Request.Headers[Settings.EmailHeader].ToString().Trim();
        if (email.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        var groups = Request.Headers[Settings.GroupsHeader].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (RoleFor(groups, Settings) is not { } role)
        {
            return AuthenticateResult.Fail($"None of {email}'s groups maps to a role.");
        }

        // One upsert per user and role a minute, not one per request.
        var user = await cache.GetOrCreateAsync($"proxy-user:{email.ToLowerInvariant()}:{role}", entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1);
            return users.UpsertHeaderUserAsync(email, role, Context.RequestAborted);
        });
        if (user is null or { Disabled: true })
        {
            return AuthenticateResult.Fail($"{email} is disabled in the portal.");
        }

        var principal = PortalPrincipal.Create(user, role, PortalPrincipal.Proxy, Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    // There is no login page in header mode: whoever arrives without the proxy's headers is refused.
    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => FromTrustedProxy()
        ? Refuse(StatusCodes.Status401Unauthorized, "Unauthorized", "Open the portal through the sign-in proxy.")
        : Refuse(StatusCodes.Status403Forbidden, "Forbidden", "Requests must come through the trusted sign-in proxy.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Refuse(StatusCodes.Status403Forbidden, "Forbidden", "Your role does not allow this.");

    private Task Refuse(int status, string title, string detail)
    {
        if (ApiProblems.IsApi(Request))
        {
            return ApiProblems.WriteAsync(Context, status, title, detail);
        }
        Response.StatusCode = status; // the status-code page explains it
        return Task.CompletedTask;
    }
}
