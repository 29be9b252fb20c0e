using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Auth;

namespace Portal.Tests.Infrastructure;

public sealed record TestAccount(long Id, string Login, string Password, string Role);

/// <summary>Users and tokens created straight in the portal's database, for tests about what they may do.</summary>
public static class TestAccounts
{
    // One password for the accounts of a test run, hashed once: a hash is 100,000 rounds of PBKDF2, and a run creates
    // hundreds of accounts (signing in still checks the password against it, as always).
    private static readonly string Password = $"pw-{Guid.NewGuid():N}";
    private static readonly Lazy<string> PasswordHash = new(() => PasswordSignIn.Hash(Password));

    public static async Task<TestAccount> CreateAsync(this PortalApp portal, string role)
    {
        var login = $"{role.ToLowerInvariant()}-{Guid.NewGuid():N}"[..24];
        var password = Password;
        var user = await portal.Services.GetRequiredService<UserStore>()
            .CreateAsync(login, $"Test {role}", role, PasswordHash.Value, "local")
            ?? throw new InvalidOperationException($"{login} exists");
        return new TestAccount(user.Id, login, password, role);
    }

    /// <summary>A client signed in through the login form as a new user of <paramref name="role"/>.</summary>
    public static async Task<HttpClient> SignedInClientAsync(this PortalApp portal, string role)
    {
        var account = await portal.CreateAsync(role);
        var client = SignIn.NewClient(portal.BaseAddress);
        using var response = await SignIn.PostAsync(client, account.Login, account.Password);
        if (response.StatusCode != System.Net.HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Sign-in as {account.Login} answered {(int)response.StatusCode}");
        }
        return client;
    }

    /// <summary>A live API token of a new user of <paramref name="role"/>.</summary>
    public static async Task<string> TokenAsync(this PortalApp portal, string role)
    {
        var account = await portal.CreateAsync(role);
        var issued = await portal.Services.GetRequiredService<ApiTokens>().CreateAsync(account.Id, "test", role);
        return issued.Secret;
    }

    /// <summary>A token that existed and was revoked.</summary>
    public static async Task<string> RevokedTokenAsync(this PortalApp portal)
    {
        var account = await portal.CreateAsync(PortalRoles.Admin);
        var tokens = portal.Services.GetRequiredService<ApiTokens>();
        var issued = await tokens.CreateAsync(account.Id, "revoked", PortalRoles.Admin);
        await tokens.RevokeAsync(account.Id, issued.Token.Id);
        return issued.Secret;
    }
}
