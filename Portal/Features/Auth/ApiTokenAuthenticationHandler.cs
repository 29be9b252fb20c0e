using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Portal.Features.Auth;

/// <summary><c>Authorization: Bearer ptk_…</c> on <c>/api/v1</c>: the token's role, never more than its user's.</summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    public static bool HasBearer(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!HasBearer(Request))
        {
            return AuthenticateResult.NoResult();
        }

        var secret = Request.Headers.Authorization.ToString()["Bearer ".Length..].Trim();
        if (await tokens.AuthenticateAsync(secret, Context.RequestAborted) is not var (user, token))
        {
            return AuthenticateResult.Fail("The token is unknown, revoked, or its user is disabled.");
        }

        var principal = PortalPrincipal.Create(user, PortalRoles.Lower(token.Role, user.Role), PortalPrincipal.Token, Scheme.Name, token.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return ApiProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized",
            "Send a valid API token: Authorization: Bearer <token> (create one on your account page or with ./portal token NAME).");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "The token's role does not allow this endpoint.");
}
