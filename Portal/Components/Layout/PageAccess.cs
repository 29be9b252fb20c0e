using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Portal.Features.Auth;

namespace Portal.Components.Layout;

/// <summary>
/// The role each page requires, read from its <c>[Authorize(Roles = …)]</c>: the page's attribute is the one place a
/// rule is written, and the navigation shows a link only to users the page would admit.
/// </summary>
public static class PageAccess
{
    private static readonly Dictionary<string, string?> RoleByRoute = typeof(PageAccess).Assembly.GetTypes()
        .Where(type => typeof(IComponent).IsAssignableFrom(type))
        .SelectMany(type => type.GetCustomAttributes<RouteAttribute>().Select(route => (route.Template, Role: RoleOf(type))))
        .ToDictionary(page => page.Template, page => page.Role, StringComparer.OrdinalIgnoreCase);

    private static string? RoleOf(Type page) =>
        page.GetCustomAttribute<AllowAnonymousAttribute>() is not null ? null
        : page.GetCustomAttribute<AuthorizeAttribute>()?.Roles?.Split(',').Select(role => role.Trim()).MinBy(PortalRoles.Rank);

    /// <summary>The lowest role that may open the page at <paramref name="route"/> (null: anyone signed in, or anonymous).</summary>
    public static string? RequiredRole(string route) =>
        RoleByRoute.TryGetValue(route, out var role) ? role : throw new ArgumentException($"No page is routed at {route}", nameof(route));
}
