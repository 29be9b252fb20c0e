using Microsoft.AspNetCore.Components.Authorization;
using System.Security.Claims;
using Microsoft.AspNetCore.Components.Server;

namespace Portal.Features.Auth;

/// <summary>
/// A circuit lives as long as the tab: re-check its user every minute, so a disabled user or a lowered role stops
/// working in open tabs too, not only at the next page load.
/// </summary>
public sealed class UserRevalidation(ILoggerFactory loggerFactory, UserStore users, AuthSessions sessions) : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var principal = authenticationState.User;
        if (principal.UserId() is not { } id)
        {
            return false;
        }
        // A cookie's circuit ends with its session (signed out elsewhere, password reset, …); the proxy's users have none.
        var user = principal.SessionId() is { } session
            ? await sessions.FindUserAsync(session, cancellationToken)
            : principal.FindFirstValue(PortalClaims.Method) == PortalPrincipal.Password ? null : await users.FindByIdAsync(id, cancellationToken);
        return user is { Disabled: false } && user.Id == id && PortalRoles.Rank(user.Role) >= PortalRoles.Rank(principal.PortalRole() ?? PortalRoles.Admin);
    }
}
