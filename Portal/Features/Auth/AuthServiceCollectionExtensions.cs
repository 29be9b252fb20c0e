using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Portal.Features.Auth;

public static class AuthServiceCollectionExtensions
{
    /// <summary>The scheme every request authenticates with; it forwards to cookie, API token or proxy header.</summary>
    public const string PortalScheme = "Portal";

    /// <summary>
    /// The users, read-only (<see cref="UserStore"/>), for features that need them in a process without sign-in:
    /// the worker's report delivery checks that a subscription's owner is still enabled.
    /// </summary>
    public static IServiceCollection AddUserDirectory(this IServiceCollection services)
    {
        services.TryAddSingleton<UserStore>();
        return services;
    }

    public static IServiceCollection AddPortalAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>()
            .Bind(configuration.GetSection(AuthOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        var mode = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>()?.Mode ?? AuthMode.Local;

        services.AddPortalKeyRing(configuration);
        services.AddMemoryCache();
        services.AddUserDirectory();
        services.AddSingleton<AuthSessions>();
        services.AddSingleton<CircuitSessions>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<ApiTokens>();
        services.AddSingleton<PasswordSignIn>();
        services.AddSingleton<InitialAdmin>();
        services.AddSingleton<UserAdministration>();

        services.AddAuthentication(PortalScheme)
            .AddPolicyScheme(PortalScheme, "Cookie, API token or proxy header", scheme => scheme.ForwardDefaultSelector = context =>
                ApiProblems.IsApi(context.Request) && ApiTokenAuthenticationHandler.HasBearer(context.Request)
                    ? ApiTokenAuthenticationHandler.SchemeName
                    : mode == AuthMode.Header ? ProxyHeaderAuthenticationHandler.SchemeName : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, ProxyHeaderAuthenticationHandler>(ProxyHeaderAuthenticationHandler.SchemeName, null)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, cookie =>
            {
                cookie.Cookie.Name = "portal.auth";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.LoginPath = "/login";
                // Each sign-in's lifetime is absolute (its session row's); the cookie is not renewed.
                cookie.SlidingExpiration = false;
                cookie.Events = new CookieAuthenticationEvents
                {
                    OnRedirectToLogin = context => ApiProblems.IsApi(context.Request)
                        ? ApiProblems.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, "Unauthorized",
                            "Sign in, or send an API token: Authorization: Bearer <token>.")
                        : RedirectAsync(context),
                    // A 403 page rather than a redirect: the address stays the one the user asked for.
                    OnRedirectToAccessDenied = context => ApiProblems.IsApi(context.Request)
                        ? ApiProblems.WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden, "Forbidden", "Your role does not allow this endpoint.")
                        : SetStatusAsync(context.HttpContext, StatusCodes.Status403Forbidden),
                    OnValidatePrincipal = RefreshFromDatabaseAsync,
                };
            });

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, UserRevalidation>();
        return services;
    }

    private static Task RedirectAsync(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    private static Task SetStatusAsync(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    /// <summary>
    /// A cookie is good while its session is: ended (sign-out, sign out everywhere, password reset, role change,
    /// disabled user) or past its absolute expiry, it signs nobody in. A renamed user's cookie follows the rename.
    /// </summary>
    private static async Task RefreshFromDatabaseAsync(CookieValidatePrincipalContext context)
    {
        var sessions = context.HttpContext.RequestServices.GetRequiredService<AuthSessions>();
        var user = context.Principal?.SessionId() is { } session ? await sessions.FindUserAsync(session, context.HttpContext.RequestAborted) : null;
        if (user is null or { Disabled: true } || user.Id != context.Principal!.UserId())
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return;
        }

        if (user.Role != context.Principal!.PortalRole() || user.Login != context.Principal!.Identity?.Name)
        {
            context.ReplacePrincipal(PortalPrincipal.Create(user, user.Role, PortalPrincipal.Password, CookieAuthenticationDefaults.AuthenticationScheme, session: context.Principal!.SessionId()));
            context.ShouldRenew = true;
        }
    }

    /// <summary>
    /// Signs a user in with the portal cookie, for a new session: 12 hours (<c>Auth:SessionHours</c>) in a cookie that
    /// ends with the browser session, or with "remember me" <c>Auth:RememberMeDays</c> in a persistent one. Absolute.
    /// </summary>
    public static async Task SignInWithCookieAsync(this HttpContext context, PortalUser user, bool rememberMe)
    {
        var settings = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
        var lifetime = rememberMe ? TimeSpan.FromDays(settings.RememberMeDays) : TimeSpan.FromHours(settings.SessionHours);
        var address = context.Connection.RemoteIpAddress is { } remote ? (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString() : null;
        var session = await context.RequestServices.GetRequiredService<AuthSessions>()
            .StartAsync(user.Id, lifetime, rememberMe, address, context.Request.Headers.UserAgent.ToString(), context.RequestAborted);
        await context.SignInAsync(
            CookieAuthenticationDefaults.AuthenticationScheme,
            PortalPrincipal.Create(user, user.Role, PortalPrincipal.Password, CookieAuthenticationDefaults.AuthenticationScheme, session: session.Id),
            new AuthenticationProperties { IsPersistent = rememberMe, ExpiresUtc = session.ExpiresAt, AllowRefresh = false });
    }

    public static IEndpointRouteBuilder MapPortalAuth(this IEndpointRouteBuilder endpoints)
    {
        // A form post from the app bar; its antiforgery token keeps other sites from signing users out.
        endpoints.MapPost("/logout", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Bad request", "The form's antiforgery token is missing or invalid: reload the page and try again.");
            }
            if (context.User.SessionId() is { } session)
            {
                await context.RequestServices.GetRequiredService<AuthSessions>().EndAsync(session, "signed out");
                await context.RequestServices.GetRequiredService<Audit.AuditLog>().RecordAsync(
                    Audit.AuditLog.ActorOf(context.User), "auth.sign-out", context.User.Identity?.Name ?? "", null, null);
            }
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/login");
        }).RequireAuthorization();

        endpoints.MapGet("/api/v1/me", (ClaimsPrincipal user) => new MeResponse(
                user.Identity!.Name!,
                user.FindFirstValue(PortalClaims.DisplayName),
                user.PortalRole()!,
                user.FindFirstValue(PortalClaims.Method)!,
                user.FindFirstValue(PortalClaims.TokenName)))
            .RequireAuthorization(policy => policy.RequireRole(PortalRoles.Viewer));
        return endpoints;
    }

    public sealed record MeResponse(string Login, string? DisplayName, string Role, string AuthMethod, string? Token);
}
