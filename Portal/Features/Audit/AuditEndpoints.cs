using Portal.Components;
using System.Globalization;
using Portal.Features.Auth;

namespace Portal.Features.Audit;

public static class AuditEndpoints
{
    public const int MaxLimit = 1000;

    /// <summary><c>GET /api/v1/audit?actor=&amp;action=&amp;text=&amp;since=&amp;until=&amp;offset=&amp;limit=</c> (Admin): newest first.</summary>
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/v1/audit", async (AuditLog log, string? actor, string? action, string? text, string? since, string? until, string? offset, string? limit, CancellationToken cancellationToken) =>
        {
            if (!Instants.TryParse(since, out var from))
            {
                return BadRequest("since", "an ISO-8601 instant such as 2026-11-23T00:00:00Z");
            }
            if (!Instants.TryParse(until, out var to))
            {
                return BadRequest("until", "an ISO-8601 instant such as 2026-11-24T00:00:00Z");
            }
            if (!TryCount(offset, 0, 0, int.MaxValue, out var skip))
            {
                return BadRequest("offset", "a whole number ≥ 0");
            }
            if (!TryCount(limit, 100, 1, MaxLimit, out var take))
            {
                return BadRequest("limit", $"a whole number from 1 to {MaxLimit}");
            }

            var page = await log.QueryAsync(new AuditQuery(actor, action, text, from, to), skip, take, cancellationToken);
            return Results.Ok(new { total = page.Total, offset = skip, entries = page.Entries });
        }).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Admin));
        return endpoints;
    }

    private static IResult BadRequest(string parameter, string expected) =>
        ApiProblems.InvalidParameter($"{parameter} must be {expected}.");


    private static bool TryCount(string? value, int fallback, int min, int max, out int count)
    {
        count = fallback;
        return string.IsNullOrEmpty(value) || (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out count) && count >= min && count <= max);
    }
}
