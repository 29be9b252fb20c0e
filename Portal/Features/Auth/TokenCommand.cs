using Portal.Features.Audit;

namespace Portal.Features.Auth;

/// <summary><c>dotnet Portal.dll token NAME [--role ROLE]</c> (what <c>./portal token</c> runs): a new API token for the first admin, on standard output.</summary>
public static class TokenCommand
{
    private const string Usage = "usage: token NAME [--role Viewer|Developer|Admin]";

    public static async Task<int> RunAsync(IServiceProvider services, string[] args)
    {
        string? name = null;
        string? role = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--role" && i + 1 < args.Length)
            {
                role = args[++i];
            }
            else if (name is null && !args[i].StartsWith('-'))
            {
                name = args[i];
            }
            else
            {
                return Fail($"unexpected argument '{args[i]}'\n{Usage}", 2);
            }
        }
        if (string.IsNullOrWhiteSpace(name))
        {
            return Fail(Usage, 2);
        }
        if (role is not null && !PortalRoles.IsRole(role))
        {
            return Fail($"'{role}' is not a role\n{Usage}", 2);
        }

        var admin = await services.GetRequiredService<UserStore>().FindFirstAdminAsync();
        if (admin is null)
        {
            return Fail("No admin exists yet: start the portal once with ./portal up (it creates the first admin).", 1);
        }

        var issued = await services.GetRequiredService<ApiTokens>().CreateAsync(admin.Id, name, role ?? admin.Role);
        await services.GetRequiredService<AuditLog>().RecordAsync("./portal token", "token.create", $"{admin.Login}: {name}", null,
            new { issued.Token.Name, issued.Token.Role, issued.Token.Prefix });
        Console.Out.WriteLine(issued.Secret);
        return 0;
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine(message);
        return code;
    }
}
