using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Options;

namespace Portal.Features.Auth;

public enum AuthMode
{
    /// <summary>Users and passwords stored in the portal's database; cookie sign-in.</summary>
    Local,

    /// <summary>An SSO proxy (oauth2-proxy and similar) authenticates; the portal trusts its headers.</summary>
    Header,
}

public sealed class AuthOptions
{
    public const string Section = "Auth";

    public AuthMode Mode { get; set; } = AuthMode.Local;

    /// <summary>Failed passwords in a row before a user is locked out.</summary>
    [Range(1, 100)]
    public int MaxFailedAttempts { get; set; } = 5;

    [Range(1, 24 * 60)]
    public int LockoutMinutes { get; set; } = 15;

    /// <summary>How long "remember me" keeps a browser signed in (from sign-in: absolute, not sliding).</summary>
    [Range(1, 365)]
    public int RememberMeDays { get; set; } = 14;

    /// <summary>How long a sign-in without "remember me" lasts at most (its cookie also ends with the browser session).</summary>
    [Range(1, 24 * 7)]
    public int SessionHours { get; set; } = 12;

    /// <summary>Sign-in attempts a client address may make in <see cref="AttemptWindowMinutes"/>, whatever the logins.</summary>
    [Range(1, 10_000)]
    public int MaxAttemptsPerAddress { get; set; } = 30;

    [Range(1, 24 * 60)]
    public int AttemptWindowMinutes { get; set; } = 10;

    /// <summary>Login of the first admin, created at start when no user exists and PORTAL_ADMIN_PASSWORD is set.</summary>
    [Required]
    public string InitialAdminLogin { get; set; } = "admin";

    [Required]
    public HeaderAuthOptions Header { get; set; } = new();
}

public sealed class HeaderAuthOptions
{
    /// <summary>Header carrying the signed-in user's e-mail.</summary>
    [Required]
    public string EmailHeader { get; set; } = "X-Forwarded-Email";

    /// <summary>Header carrying the user's groups, comma-separated.</summary>
    [Required]
    public string GroupsHeader { get; set; } = "X-Forwarded-Groups";

    /// <summary>
    /// Addresses of the proxies whose headers are believed; requests from anywhere else get 403.
    /// Empty means loopback only (a proxy on the same host).
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>Group name → role; a user in several groups gets the highest of their roles.</summary>
    public Dictionary<string, string> GroupRoles { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Role of a user none of whose groups is mapped; empty to refuse such users (403).</summary>
    public string DefaultRole { get; set; } = PortalRoles.Viewer;
}

/// <summary>Reports every configuration error of <see cref="AuthOptions"/> at once.</summary>
public sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var errors = new List<string>();
        foreach (var proxy in options.Header.TrustedProxies.Where(proxy => !IPAddress.TryParse(proxy, out _)))
        {
            errors.Add($"Auth:Header:TrustedProxies: '{proxy}' is not an IP address.");
        }
        foreach (var (group, role) in options.Header.GroupRoles.Where(pair => !PortalRoles.IsRole(pair.Value)))
        {
            errors.Add($"Auth:Header:GroupRoles:{group}: '{role}' is not a role ({string.Join(", ", PortalRoles.All)}).");
        }
        if (options.Header.DefaultRole.Length > 0 && !PortalRoles.IsRole(options.Header.DefaultRole))
        {
            errors.Add($"Auth:Header:DefaultRole: '{options.Header.DefaultRole}' is not a role ({string.Join(", ", PortalRoles.All)}) or empty.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
