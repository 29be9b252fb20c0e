using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;

namespace Portal.Features.Auth;

/// <summary>
/// A state-changing API request that rides on the browser's ambient credentials (the sign-in cookie, or an SSO
/// proxy's) must prove it comes from the portal's own pages: <c>Sec-Fetch-Site: same-origin</c>, an <c>Origin</c>
/// equal to the portal's, or the antiforgery token in the <c>RequestVerificationToken</c> header. Otherwise a page on
/// another port or subdomain of the same site (which <c>SameSite=Lax</c> lets the cookie through from) could post a
/// form to it in a signed-in admin's browser. Requests with an API token (<c>Authorization: Bearer</c>) carry their
/// proof; anonymous endpoints (Web Vitals ingestion, unsubscribe links) hold no session to abuse.
/// </summary>
public static class CrossSiteRequestGuard
{
    public static IApplicationBuilder UseCrossSiteRequestGuard(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (NeedsProof(context) && !await ProvesSameOriginAsync(context))
        {
            await ApiProblems.WriteAsync(context, StatusCodes.Status403Forbidden, "Cross-site request refused",
                "A request that changes something must come from the portal's own pages (same origin), or carry an API token: Authorization: Bearer <token>.");
            return;
        }
        await next(context);
    });

    private static bool NeedsProof(HttpContext context) =>
        ApiProblems.IsApi(context.Request)
        && !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method)
        && !ApiTokenAuthenticationHandler.HasBearer(context.Request)
        && context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null;

    private static async Task<bool> ProvesSameOriginAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (headers["Sec-Fetch-Site"].ToString() is { Length: > 0 } site && site != "same-origin")
        {
            return await HasAntiforgeryTokenAsync(context);
        }
        if (headers.Origin.ToString() is { Length: > 0 } origin)
        {
            return string.Equals(origin, $"{context.Request.Scheme}://{context.Request.Host}", StringComparison.OrdinalIgnoreCase)
                || await HasAntiforgeryTokenAsync(context);
        }
        return headers["Sec-Fetch-Site"] == "same-origin" || await HasAntiforgeryTokenAsync(context);
    }

    private static async Task<bool> HasAntiforgeryTokenAsync(HttpContext context) =>
        context.Request.Headers.ContainsKey("RequestVerificationToken")
        && await context.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(context);
}
