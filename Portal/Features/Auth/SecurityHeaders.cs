namespace Portal.Features.Auth;

/// <summary>Headers on every response: a strict content security policy and the usual hardening.</summary>
public static class SecurityHeaders
{
    // Blazor Server needs only our own scripts and a WebSocket back to us; MudBlazor writes inline styles.
    public const string Policy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    // Hangfire's dashboard (a third-party UI, Admin only) uses inline scripts.
    public const string HangfirePolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    // A stored Lighthouse report in Lighthouse's own viewer (its standalone HTML: inline script and styles, the report's
    // JSON inline). The JSON came from CI: the page runs sandboxed, in an origin of its own (no cookies, no API, no
    // requests at all), so nothing in a report can act as the viewer.
    public const string LabReportPolicy =
        "sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox allow-downloads; default-src 'none'; script-src 'unsafe-inline'; " +
        "style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            var path = context.Request.Path;
            headers.ContentSecurityPolicy = path.StartsWithSegments("/hangfire") ? HangfirePolicy
                : path.StartsWithSegments(Components.PortalLinks.LabRuns) && context.Response.ContentType?.StartsWith("text/html", StringComparison.Ordinal) == true ? LabReportPolicy
                : Policy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            return Task.CompletedTask;
        });
        await next();
    });
}
