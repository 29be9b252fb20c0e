using Microsoft.Extensions.Options;
using Portal.Features.Audit;

namespace Portal.Features.Auth;

/// <summary>
/// The first admin of an empty portal, from <c>PORTAL_ADMIN_PASSWORD</c> (which <c>./portal up</c> generates and
/// prints once when none is given). Does nothing once any user exists: the variable never resets a password.
/// </summary>
public sealed class InitialAdmin(UserStore users, AuditLog audit, IConfiguration configuration, IOptions<AuthOptions> options, ILogger<InitialAdmin> logger)
{
    public const string PasswordVariable = "PORTAL_ADMIN_PASSWORD";

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Mode == AuthMode.Header || await users.AnyAsync(cancellationToken))
        {
            return;
        }

        var password = configuration[PasswordVariable];
        if (string.IsNullOrEmpty(password))
        {
            logger.LogWarning("No user exists and {Variable} is not set: nobody can sign in. Set it and restart to create '{Login}'.",
                PasswordVariable, options.Value.InitialAdminLogin);
            return;
        }
        if (PasswordSignIn.CheckPolicy(password) is { } problem)
        {
            logger.LogError("{Variable} was not used: {Problem}", PasswordVariable, problem);
            return;
        }

        var login = options.Value.InitialAdminLogin;
        if (await users.CreateAsync(login, "Administrator", PortalRoles.Admin, PasswordSignIn.Hash(password), "local", cancellationToken) is { } admin)
        {
            await audit.RecordAsync(AuditLog.System, "user.create", login, null, new { admin.Login, admin.Role, via = PasswordVariable }, cancellationToken);
            logger.LogInformation("Created the first admin '{Login}' from {Variable}", login, PasswordVariable);
        }
    }
}
