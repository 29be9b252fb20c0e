using System.Security.Claims;
using Portal.Features.Audit;

namespace Portal.Features.Auth;

/// <summary>The outcome of an administrative action: done, or why not (shown to the admin as is).</summary>
public sealed record AdminResult(string? Error = null)
{
    public static AdminResult Done { get; } = new();

    public bool Succeeded => Error is null;
}

/// <summary>
/// What admins do to users and what users do to their tokens: each action checked, applied and written to the
/// audit log with the state before and after. Pages and API endpoints call this, never the stores directly.
/// </summary>
public sealed class UserAdministration(UserStore users, ApiTokens tokens, AuditLog audit, AuthSessions sessions)
{
    private static object Snapshot(PortalUser user) => new { user.Login, user.DisplayName, user.Role, user.Disabled, user.Source };

    public async Task<(PortalUser? User, AdminResult Result)> CreateUserAsync(ClaimsPrincipal actor, string login, string displayName, string role, string password)
    {
        if (!actor.IsInRole(PortalRoles.Admin))
        {
            return (null, new AdminResult("Only admins may create users."));
        }
        login = login.Trim();
        if (login.Length is 0 or > 200 || login.Any(char.IsWhiteSpace))
        {
            return (null, new AdminResult("The login must be 1–200 characters without spaces."));
        }
        if (!PortalRoles.IsRole(role))
        {
            return (null, new AdminResult($"'{role}' is not a role."));
        }
        if (PasswordSignIn.CheckPolicy(password) is { } problem)
        {
            return (null, new AdminResult(problem));
        }

        var name = string.IsNullOrWhiteSpace(displayName) ? login : displayName.Trim();
        var user = await users.CreateAsync(login, name, role, PasswordSignIn.Hash(password), "local");
        if (user is null)
        {
            return (null, new AdminResult($"A user '{login}' already exists."));
        }
        await audit.RecordAsync(AuditLog.ActorOf(actor), "user.create", user.Login, null, Snapshot(user));
        return (user, AdminResult.Done);
    }

    public async Task<AdminResult> SetRoleAsync(ClaimsPrincipal actor, long userId, string role)
    {
        if (!PortalRoles.IsRole(role))
        {
            return new AdminResult($"'{role}' is not a role.");
        }
        return await ChangeAsync(actor, userId, "user.role", async user =>
        {
            if (user.Role == PortalRoles.Admin && role != PortalRoles.Admin && await IsLastAdminAsync(user))
            {
                return new AdminResult("This is the last enabled admin: make another user admin first.");
            }
            await users.SetRoleAsync(user.Id, role);
            await sessions.EndAllAsync(user.Id, "role changed");
            return AdminResult.Done;
        });
    }

    public Task<AdminResult> SetDisabledAsync(ClaimsPrincipal actor, long userId, bool disabled) =>
        ChangeAsync(actor, userId, disabled ? "user.disable" : "user.enable", async user =>
        {
            if (disabled && user.Id == actor.UserId())
            {
                return new AdminResult("You cannot disable yourself.");
            }
            if (disabled && user.Role == PortalRoles.Admin && await IsLastAdminAsync(user))
            {
                return new AdminResult("This is the last enabled admin: make another user admin first.");
            }
            await users.SetDisabledAsync(user.Id, disabled);
            if (disabled)
            {
                // Enabling again revives none of them.
                await sessions.EndAllAsync(user.Id, "disabled");
            }
            return AdminResult.Done;
        });

    public Task<AdminResult> ResetPasswordAsync(ClaimsPrincipal actor, long userId, string password) =>
        ChangeAsync(actor, userId, "user.password-reset", async user =>
        {
            if (user.Source != "local")
            {
                return new AdminResult("This user signs in through the SSO proxy and has no password here.");
            }
            if (PasswordSignIn.CheckPolicy(password) is { } problem)
            {
                return new AdminResult(problem);
            }
            await users.SetPasswordHashAsync(user.Id, PasswordSignIn.Hash(password));
            await sessions.EndAllAsync(user.Id, "password reset");
            return AdminResult.Done;
        });

    public Task<AdminResult> UnlockAsync(ClaimsPrincipal actor, long userId) =>
        ChangeAsync(actor, userId, "user.unlock", async user =>
        {
            await users.UnlockAsync(user.Id);
            return AdminResult.Done;
        });

    /// <summary>A token for the signed-in user, with at most the user's own role.</summary>
    public async Task<(IssuedToken? Token, AdminResult Result)> CreateTokenAsync(ClaimsPrincipal actor, string name, string role)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100)
        {
            return (null, new AdminResult("Give the token a name of 1–100 characters (what uses it)."));
        }
        if (actor.UserId() is not { } userId || await users.FindByIdAsync(userId) is not { Disabled: false } user)
        {
            return (null, new AdminResult("Sign in again."));
        }
        if (!PortalRoles.IsRole(role) || PortalRoles.Rank(role) > PortalRoles.Rank(user.Role))
        {
            return (null, new AdminResult($"A token's role can be at most yours ({user.Role})."));
        }

        var issued = await tokens.CreateAsync(user.Id, name, role);
        await audit.RecordAsync(AuditLog.ActorOf(actor), "token.create", $"{user.Login}: {name}", null,
            new { issued.Token.Name, issued.Token.Role, issued.Token.Prefix });
        return (issued, AdminResult.Done);
    }

    public async Task<AdminResult> RevokeTokenAsync(ClaimsPrincipal actor, long tokenId)
    {
        if (actor.UserId() is not { } userId)
        {
            return new AdminResult("Sign in again.");
        }
        var revoked = await tokens.RevokeAsync(userId, tokenId);
        if (revoked is null)
        {
            return new AdminResult("No such live token.");
        }
        await audit.RecordAsync(AuditLog.ActorOf(actor), "token.revoke", $"{actor.Identity?.Name}: {revoked.Name}",
            new { revoked.Name, revoked.Role, revoked.Prefix }, new { revoked.Name, revoked.Role, revoked.Prefix, revoked = true });
        return AdminResult.Done;
    }

    /// <summary>Ends every session of a user (their own, or any user's for an admin): each browser must sign in again.</summary>
    public async Task<AdminResult> SignOutEverywhereAsync(ClaimsPrincipal actor, long userId)
    {
        if (actor.UserId() != userId && !actor.IsInRole(PortalRoles.Admin))
        {
            return new AdminResult("Only admins may sign other users out.");
        }
        if (await users.FindByIdAsync(userId) is not { } user)
        {
            return new AdminResult("No such user.");
        }
        var ended = await sessions.EndAllAsync(userId, actor.UserId() == userId ? "signed out everywhere" : $"signed out by {actor.Identity?.Name}");
        await audit.RecordAsync(AuditLog.ActorOf(actor), "auth.sign-out-everywhere", user.Login, null, new { sessionsEnded = ended });
        return AdminResult.Done;
    }

    private async Task<bool> IsLastAdminAsync(PortalUser user) =>
        (await users.ListAsync()).Count(other => other.Role == PortalRoles.Admin && !other.Disabled) == 1 && !user.Disabled;

    private async Task<AdminResult> ChangeAsync(ClaimsPrincipal actor, long userId, string action, Func<PortalUser, Task<AdminResult>> change)
    {
        // Checked here, where it acts, not only by the page that hides the button.
        if (!actor.IsInRole(PortalRoles.Admin))
        {
            return new AdminResult("Only admins may change users.");
        }
        if (await users.FindByIdAsync(userId) is not { } before)
        {
            return new AdminResult("No such user.");
        }
        var result = await change(before);
        if (result.Succeeded)
        {
            var after = await users.FindByIdAsync(userId);
            await audit.RecordAsync(AuditLog.ActorOf(actor), action, before.Login, Snapshot(before), after is null ? null : Snapshot(after));
        }
        return result;
    }
}
