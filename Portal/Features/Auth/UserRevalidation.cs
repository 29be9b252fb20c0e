using Microsoft.AspNetCore.Components.Authorization;
using System.Security.Claims;
using Microsoft.AspNetCore.Components.Server;

namespace Portal.Features.Auth;

/// <summary>
/// A circuit lives as long as the tab: re-check its user every minute, so a disabled user or a lowered role stops
/// working in open tabs too, not only at the next page load. Sessions are read for all circuits at once
/// (<see cref="CircuitSessions"/>): a tab costs the database nothing more.
/// </summary>
public sealed class UserRevalidation(ILoggerFactory loggerFactory, UserStore users, CircuitSessions sessions) : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    private Guid? watched;

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
            ? await WatchedUserAsync(session, cancellationToken)
            : principal.FindFirstValue(PortalClaims.Method) == PortalPrincipal.Password ? null : await users.FindByIdAsync(id, cancellationToken);
        return user is { Disabled: false } && user.Id == id && PortalRoles.Rank(user.Role) >= PortalRoles.Rank(principal.PortalRole() ?? PortalRoles.Admin);
    }

    private Task<PortalUser?> WatchedUserAsync(Guid session, CancellationToken cancellationToken)
    {
        if (watched != session)
        {
            if (watched is { } previous)
            {
                sessions.Remove(previous);
            }
            sessions.Add(session);
            watched = session;
        }
        return sessions.UserOfAsync(session, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && watched is { } session)
        {
            sessions.Remove(session);
            watched = null;
        }
        base.Dispose(disposing);
    }
}
