using Microsoft.Playwright;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

public sealed class SignInBrowserTests(RunningPortalFixture fixture, Chromium chromium) : IClassFixture<RunningPortalFixture>, IClassFixture<Chromium>
{
    private PortalApp Portal => fixture.Running.Portal;

    [Fact]
    public async Task LoginPage_RightPassword_LandsOnTheOverviewSignedIn()
    {
        var account = await Portal.CreateAsync(PortalRoles.Developer);
        var page = await chromium.NewPageAsync();

        await page.GotoAsync(Portal.BaseAddress.ToString());
        await Expect(page).ToHaveURLAsync(new Uri(Portal.BaseAddress, "/login?ReturnUrl=%2F").ToString());
        await page.FillAsync("#login", account.Login);
        await page.FillAsync("#password", "not it at all");
        await page.ClickAsync("button[type=submit]");
        await Expect(page.GetByTestId("login-error")).ToHaveTextAsync("Wrong login or password. After 5 wrong passwords in a row an account is locked for 15 minutes.");
        await Chromium.ScreenshotAsync(page, "login-error");
        await page.FillAsync("#password", account.Password);
        await page.ClickAsync("button[type=submit]");

        await Expect(page).ToHaveURLAsync(Portal.BaseAddress.ToString());
        await Chromium.WaitForCircuitAsync(page);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        await Expect(page.GetByTestId("current-user")).ToContainTextAsync("Developer");
        await Chromium.ScreenshotAsync(page, "overview-developer");
        // A Developer sees Queries but not the administration.
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Queries" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Users" })).ToHaveCountAsync(0);

        await page.ClickAsync("#sign-out");
        await Expect(page).ToHaveURLAsync(new Uri(Portal.BaseAddress, "/login").ToString());
    }

    [Fact]
    public async Task UsersPage_AdminCreatesAUser_WhoCanThenSignIn()
    {
        var page = await chromium.OpenAsync(Portal, PortalRoles.Admin, "/admin/users");
        var login = "newcomer-" + Guid.NewGuid().ToString("N")[..6];

        var dialog = await Chromium.OpenDialogAsync(page.GetByTestId("new-user"));
        await dialog.GetByLabel("Login").FillAsync(login);
        await dialog.GetByLabel("Display name").FillAsync("New Comer");
        await dialog.GetByLabel("Initial password").FillAsync("a fine password 42");
        await page.GetByTestId("create-user").ClickAsync();

        await Expect(page.GetByTestId("users-message")).ToContainTextAsync($"{login} created as Viewer.");
        await Expect(page.GetByTestId("users").Locator("tr", new() { HasText = login })).ToContainTextAsync("Active");
        await Chromium.ScreenshotAsync(page, "users");
        using var client = SignIn.NewClient(Portal.BaseAddress);
        using var signIn = await SignIn.PostAsync(client, login, "a fine password 42");
        Assert.Equal(System.Net.HttpStatusCode.Redirect, signIn.StatusCode);

        await page.GotoAsync(new Uri(Portal.BaseAddress, "/admin/audit?action=user.create").ToString());
        await Chromium.WaitForCircuitAsync(page);
        await Expect(page.GetByTestId("audit").Locator("tr", new() { HasText = login })).ToContainTextAsync("user.create");
        await Chromium.ScreenshotAsync(page, "audit");
    }

    [Fact]
    public async Task AccountPage_CreateToken_ShownOnceAndWorksAgainstTheApi()
    {
        var page = await chromium.OpenAsync(Portal, PortalRoles.Developer, "/account");

        await page.GetByLabel("Name").FillAsync("nightly-export");
        await page.GetByTestId("create-token").ClickAsync();

        var secret = (await page.GetByTestId("token-secret").InnerTextAsync()).Trim();
        Assert.StartsWith("ptk_", secret, StringComparison.Ordinal);
        await Expect(page.GetByTestId("tokens")).ToContainTextAsync("nightly-export");
        await Chromium.ScreenshotAsync(page, "account-token");
        using var client = SignIn.NewClient(Portal.BaseAddress);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        var me = await client.GetStringAsync(new Uri("/api/v1/me", UriKind.Relative));
        Assert.Contains("\"role\":\"Developer\"", me, StringComparison.Ordinal);

        await page.ReloadAsync();
        await Chromium.WaitForCircuitAsync(page);
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
    }
}
