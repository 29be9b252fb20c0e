using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Auth;

/// <summary>Sessions end on the server: a copied cookie stops working when its session ends, however it ends.</summary>
public sealed class SessionTests(SharedPortal portal) : IClassFixture<SharedPortal> // each test signs in accounts of its own
{
    private sealed record Browser(HttpClient Client, string Cookie, TestAccount Account) : IDisposable
    {
        public void Dispose() => Client.Dispose();
    }

    private async Task<Browser> SignInAsync(TestAccount? account = null, bool rememberMe = false)
    {
        account ??= await portal.App.CreateAsync(PortalRoles.Viewer);
        var client = SignIn.NewClient(portal.App.BaseAddress);
        using var response = await SignIn.PostAsync(client, account.Login, account.Password, rememberMe);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(value => value.StartsWith("portal.auth=", StringComparison.Ordinal));
        return new Browser(client, cookie, account);
    }

    /// <summary>The cookie replayed from elsewhere (a copy an attacker kept), not from the browser's jar.</summary>
    private async Task<HttpStatusCode> MeWithAsync(string setCookie)
    {
        using var client = portal.App.CreateHttpClient();
        client.DefaultRequestHeaders.Add("Cookie", setCookie.Split(';')[0]);
        using var me = await client.GetAsync(new Uri("/api/v1/me", UriKind.Relative));
        return me.StatusCode;
    }

    private static System.Security.Claims.ClaimsPrincipal Admin() =>
        PortalPrincipal.Create(new PortalUser { Id = 0, Login = "root", DisplayName = "Root", Role = PortalRoles.Admin, Source = "local", Disabled = false, FailedAttempts = 0, CreatedAt = DateTimeOffset.UtcNow }, PortalRoles.Admin, PortalPrincipal.Token, "test");

    [Fact]
    public async Task SignOut_TheSameCookieReplayed_401()
    {
        using var browser = await SignInAsync();
        Assert.Equal(HttpStatusCode.OK, await MeWithAsync(browser.Cookie));
        var token = await SignIn.AntiforgeryTokenAsync(browser.Client, "/account");

        using var signedOut = await browser.Client.PostAsync(new Uri("/logout", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await MeWithAsync(browser.Cookie));
    }

    [Fact]
    public async Task PasswordReset_EveryOldCookie401_ANewSignInWorks()
    {
        using var first = await SignInAsync();
        using var second = await SignInAsync(first.Account);

        var result = await portal.App.Services.GetRequiredService<UserAdministration>().ResetPasswordAsync(Admin(), first.Account.Id, "a-new-password-1");

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(HttpStatusCode.Unauthorized, await MeWithAsync(first.Cookie));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeWithAsync(second.Cookie));
        using var again = await SignInAsync(first.Account with { Password = "a-new-password-1" });
        Assert.Equal(HttpStatusCode.OK, await MeWithAsync(again.Cookie));
    }

    [Fact]
    public async Task DisabledThenEnabled_OldCookieStays401()
    {
        using var browser = await SignInAsync();
        var administration = portal.App.Services.GetRequiredService<UserAdministration>();

        await administration.SetDisabledAsync(Admin(), browser.Account.Id, disabled: true);
        await administration.SetDisabledAsync(Admin(), browser.Account.Id, disabled: false);

        Assert.Equal(HttpStatusCode.Unauthorized, await MeWithAsync(browser.Cookie));
    }

    [Fact]
    public async Task RoleChanged_OldCookie401()
    {
        using var browser = await SignInAsync();

        await portal.App.Services.GetRequiredService<UserAdministration>().SetRoleAsync(Admin(), browser.Account.Id, PortalRoles.Developer);

        Assert.Equal(HttpStatusCode.Unauthorized, await MeWithAsync(browser.Cookie));
    }

    [Fact]
    public async Task SignOutEverywhere_EveryCookieOfTheUser401_OtherUsersUnaffected()
    {
        using var laptop = await SignInAsync();
        using var phone = await SignInAsync(laptop.Account);
        using var colleague = await SignInAsync();
        var self = PortalPrincipal.Create(new PortalUser { Id = laptop.Account.Id, Login = laptop.Account.Login, DisplayName = "", Role = PortalRoles.Viewer, Source = "local", Disabled = false, FailedAttempts = 0, CreatedAt = DateTimeOffset.UtcNow },
            PortalRoles.Viewer, PortalPrincipal.Password, "test");

        var result = await portal.App.Services.GetRequiredService<UserAdministration>().SignOutEverywhereAsync(self, laptop.Account.Id);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(HttpStatusCode.Unauthorized, await MeWithAsync(laptop.Cookie));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeWithAsync(phone.Cookie));
        Assert.Equal(HttpStatusCode.OK, await MeWithAsync(colleague.Cookie));
        // A viewer may sign out only themselves.
        var refused = await portal.App.Services.GetRequiredService<UserAdministration>().SignOutEverywhereAsync(self, colleague.Account.Id);
        Assert.False(refused.Succeeded);
        Assert.Equal(HttpStatusCode.OK, await MeWithAsync(colleague.Cookie));
    }

    [Fact]
    public async Task WithoutRememberMe_SessionCookie_EndsAfterSessionHoursWhateverTheBrowserKeeps()
    {
        using var browser = await SignInAsync();
        Assert.DoesNotContain("expires=", browser.Cookie, StringComparison.OrdinalIgnoreCase); // ends with the browser session
        await using var connection = new NpgsqlConnection(portal.Database.ConnectionString);
        var lifetime = TimeSpan.FromSeconds(await connection.ExecuteScalarAsync<double>("SELECT extract(epoch FROM expires_at - created_at)::float8 FROM auth_sessions WHERE user_id = @Id", new { browser.Account.Id }));
        Assert.Equal(TimeSpan.FromHours(12), lifetime);

        // Twelve hours later (the browser restored its tabs and kept the cookie):
        await connection.ExecuteAsync("UPDATE auth_sessions SET created_at = created_at - interval '12 hours', expires_at = expires_at - interval '12 hours' WHERE user_id = @Id", new { browser.Account.Id });

        Assert.Equal(HttpStatusCode.Unauthorized, await MeWithAsync(browser.Cookie));
    }

    [Fact]
    public async Task RememberMe_PersistentCookie_ForRememberMeDays_NotSliding()
    {
        using var browser = await SignInAsync(rememberMe: true);
        await using var connection = new NpgsqlConnection(portal.Database.ConnectionString);
        var lifetime = TimeSpan.FromSeconds(await connection.ExecuteScalarAsync<double>("SELECT extract(epoch FROM expires_at - created_at)::float8 FROM auth_sessions WHERE user_id = @Id", new { browser.Account.Id }));

        Assert.Contains("expires=", browser.Cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(TimeSpan.FromDays(14), lifetime);
        using var me = await browser.Client.GetAsync(new Uri("/api/v1/me", UriKind.Relative));
        Assert.False(me.Headers.TryGetValues("Set-Cookie", out var renewed) && renewed.Any(value => value.StartsWith("portal.auth=", StringComparison.Ordinal)),
            "the cookie was renewed (sliding)");
    }
}
