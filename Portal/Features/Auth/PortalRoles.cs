using System.Security.Claims;

namespace Portal.Features.Auth;

/// <summary>
/// The three roles, each including the ones before it: a Developer may do all a Viewer may, an Admin all a
/// Developer may. A principal carries a role claim for its own role and every role it includes, so
/// <c>[Authorize(Roles = PortalRoles.Developer)]</c> admits Developers and Admins.
/// </summary>
public static class PortalRoles
{
    public const string Viewer = nameof(Viewer);
    public const string Developer = nameof(Developer);
    public const string Admin = nameof(Admin);

    public static IReadOnlyList<string> All { get; } = [Viewer, Developer, Admin];

    public static bool IsRole(string? role) => role is not null && All.Contains(role);

    public static int Rank(string role) => All.ToList().IndexOf(role) is var rank and >= 0
        ? rank
        : throw new ArgumentException($"Unknown role '{role}': one of {string.Join(", ", All)}", nameof(role));

    /// <summary>The role itself and every role it includes.</summary>
    public static IEnumerable<string> Included(string role) => All.Take(Rank(role) + 1);

    /// <summary>The lower of two roles (a token never grants more than its user has).</summary>
    public static string Lower(string a, string b) => Rank(a) <= Rank(b) ? a : b;

    /// <summary>What each role adds, for the Users page and the README.</summary>
    public static string Describe(string role) => role switch
    {
        Viewer => "Scorecards, Web Vitals overview, reports, cache, jobs",
        Developer => "Adds queries, EXPLAIN and the Prometheus explorer",
        Admin => "Adds users, targets, apps and keys, SLA and alert configuration, jobs control, audit log",
        _ => role,
    };

    /// <summary>
    /// Checked by the service that acts, not only by the page that hides its button: a circuit event can be sent by
    /// any signed-in browser. Throws <see cref="ForbiddenActionException"/> (nothing done, nothing audited).
    /// </summary>
    public static void Demand(ClaimsPrincipal actor, string role, string action)
    {
        if (!actor.IsInRole(role))
        {
            throw new ForbiddenActionException($"Only a{(role == Admin ? "n" : "")} {role} may {action}.");
        }
    }
}

/// <summary>A user tried an action their role does not allow (past the page's own check).</summary>
public sealed class ForbiddenActionException(string message) : UnauthorizedAccessException(message);
