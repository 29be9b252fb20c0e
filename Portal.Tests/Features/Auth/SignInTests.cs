using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Auth;

/// <summary>
/// Sign-in, lockout, sessions and tokens on one portal for the class: each test signs in accounts of its own, reads the
/// audit log for them, and the logs written since it began.
/// </summary>
public sealed class SignInTests(SignInTests.Running fixture) : IClassFixture<SignInTests.Running>
{
#pragma warning disable CA1001 // disposed in DisposeAsync, as xUnit drives it
    public sealed class Running : IAsyncLifetime
#pragma warning restore CA1001
    {
        public CapturedLogs Logs { get; } = new();

        public TestDatabase Database { get; private set; } = null!;

        public PortalApp Portal { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Database = await TestDatabase.CreateAsync();
            var settings = PortalSettings.For(Database);
            settings["Auth:MaxFailedAttempts"] = "3";
            // The class's tests all sign in from 127.0.0.1: the per-address throttle is SignInThrottleTests' subject.
            settings["Auth:MaxAttemptsPerAddress"] = "10000";
            Portal = new PortalApp(settings, Logs).Start();
        }

        public async Task DisposeAsync()
        {
            await Portal.DisposeAsync();
            await Database.DisposeAsync();
            Logs.Dispose();
        }
    }

    private readonly PortalApp portal = fixture.Portal;
    private readonly TestDatabase database = fixture.Database;
    private readonly CapturedLogs logs = fixture.Logs;

    [Fact]
    public async Task Login_RightPassword_SetsHttpOnlyLaxCookieAndRedirectsToReturnUrl()
    {
        var account = await portal.CreateAsync(PortalRoles.Viewer);
        using var client = SignIn.NewClient(portal.BaseAddress);
        var token = await SignIn.AntiforgeryTokenAsync(client, "/login?ReturnUrl=%2Fvitals");

        using var response = await client.PostAsync(new Uri("/login?ReturnUrl=%2Fvitals", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.Login"] = account.Login.ToUpperInvariant(), // logins are case-insensitive
            ["Input.Password"] = account.Password,
        }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(new Uri(portal.BaseAddress, "/vitals"), response.Headers.Location);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(value => value.StartsWith("portal.auth=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("expires=", cookie, StringComparison.OrdinalIgnoreCase); // no "remember me": a session cookie
    }

    [Fact]
    public async Task Login_RememberMe_MakesThePersistentCookie()
    {
        var account = await portal.CreateAsync(PortalRoles.Viewer);
        using var client = SignIn.NewClient(portal.BaseAddress);

        using var response = await SignIn.PostAsync(client, account.Login, account.Password, rememberMe: true);

        var cookie = response.Headers.GetValues("Set-Cookie").Single(value => value.StartsWith("portal.auth=", StringComparison.Ordinal));
        Assert.Contains("expires=", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Login_OffSiteReturnUrl_GoesHomeInstead()
    {
        var account = await portal.CreateAsync(PortalRoles.Viewer);
        using var client = SignIn.NewClient(portal.BaseAddress);
        var token = await SignIn.AntiforgeryTokenAsync(client, "/login?ReturnUrl=%2F%2Fevil.example");

        using var response = await client.PostAsync(new Uri("/login?ReturnUrl=%2F%2Fevil.example", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.Login"] = account.Login,
            ["Input.Password"] = account.Password,
        }));

        Assert.Equal(new Uri(portal.BaseAddress, "/"), response.Headers.Location);
    }

    [Fact]
    public async Task Login_MaxFailedAttempts_LocksOutEvenTheRightPassword()
    {
        var account = await portal.CreateAsync(PortalRoles.Viewer);
        using var client = SignIn.NewClient(portal.BaseAddress);

        for (var attempt = 1; attempt <= 2; attempt++)
        {
            using var wrong = await SignIn.PostAsync(client, account.Login, "not the password");
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
            Assert.Contains("Wrong login or password.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using var third = await SignIn.PostAsync(client, account.Login, "not the password");
        using var right = await SignIn.PostAsync(client, account.Login, account.Password);

        Assert.Contains("Wrong login or password.", await third.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, right.StatusCode);
        Assert.False(right.Headers.TryGetValues("Set-Cookie", out var set) && set.Any(value => value.StartsWith("portal.auth=", StringComparison.Ordinal)));
        var user = await portal.Services.GetRequiredService<UserStore>().FindByIdAsync(account.Id);
        Assert.InRange(user!.LockedUntil!.Value, DateTimeOffset.UtcNow.AddMinutes(14), DateTimeOffset.UtcNow.AddMinutes(16));
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        var audited = (await connection.QueryAsync<(string Action, string Subject)>(
            "SELECT action AS \"Action\", subject AS \"Subject\" FROM audit_log WHERE action LIKE 'auth.%' AND subject = @login ORDER BY id", new { login = account.Login })).ToList();
        Assert.Equal([("auth.sign-in-failed", account.Login), ("auth.sign-in-failed", account.Login), ("auth.sign-in-failed", account.Login),
            ("auth.lockout", account.Login), ("auth.sign-in-failed", account.Login)], audited);
    }

    private static string ErrorOf(string page) =>
        System.Text.RegularExpressions.Regex.Match(page, "Wrong login or password[^<]*|Too many[^<]*|This account[^<]*").Value;

    [Fact]
    public async Task Lockout_AnswersExactlyAsAnUnknownLogin_TellingNobodyWhichLoginsExist()
    {
        var account = await portal.CreateAsync(PortalRoles.Viewer);
        using var client = SignIn.NewClient(portal.BaseAddress);
        var known = new List<(HttpStatusCode, string)>();
        var unknown = new List<(HttpStatusCode, string)>();

        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var a = await SignIn.PostAsync(client, account.Login, "not the password");
            known.Add((a.StatusCode, ErrorOf(await a.Content.ReadAsStringAsync())));
            using var b = await SignIn.PostAsync(client, "nobody-" + account.Login, "not the password");
            unknown.Add((b.StatusCode, ErrorOf(await b.Content.ReadAsStringAsync())));
        }

        Assert.Equal(unknown, known);
        Assert.All(known, answer => Assert.StartsWith("Wrong login or password.", answer.Item2, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownLogin_TheTextTypedIsNotLogged()
    {
        using var client = SignIn.NewClient(portal.BaseAddress);
        var since = logs.Text.Length;

        using var response = await SignIn.PostAsync(client, "correct-horse-battery-staple", "whatever it is");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var logged = logs.Text[since..];
        Assert.Contains("unknown login", logged, StringComparison.Ordinal);
        Assert.DoesNotContain("correct-horse-battery-staple", logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInAndOut_Audited()
    {
        var account = await portal.CreateAsync(PortalRoles.Viewer);
        using var client = SignIn.NewClient(portal.BaseAddress);
        (await SignIn.PostAsync(client, account.Login, account.Password)).Dispose();
        var token = await SignIn.AntiforgeryTokenAsync(client, "/account");
        (await client.PostAsync(new Uri("/logout", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }))).Dispose();

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        var audited = (await connection.QueryAsync<(string Actor, string Action)>(
            "SELECT actor AS \"Actor\", action AS \"Action\" FROM audit_log WHERE action LIKE 'auth.%' AND actor = @login ORDER BY id", new { login = account.Login })).ToList();
        Assert.Equal([(account.Login, "auth.sign-in"), (account.Login, "auth.sign-out")], audited);
    }

    [Fact]
    public async Task Login_WithoutAntiforgeryToken_IsRejectedAndSignsNobodyIn()
    {
        var account = await portal.CreateAsync(PortalRoles.Viewer);
        using var client = SignIn.NewClient(portal.BaseAddress);

        using var response = await client.PostAsync(new Uri("/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["Input.Login"] = account.Login,
            ["Input.Password"] = account.Password,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(cookie => cookie.StartsWith("portal.auth=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task DisabledUser_ExistingCookie_IsSignedOutAtNextRequest()
    {
        var account = await portal.CreateAsync(PortalRoles.Viewer);
        using var client = SignIn.NewClient(portal.BaseAddress);
        (await SignIn.PostAsync(client, account.Login, account.Password)).Dispose();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/", UriKind.Relative))).StatusCode);

        await portal.Services.GetRequiredService<UserStore>().SetDisabledAsync(account.Id, true);

        using var response = await client.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    [Fact]
    public async Task ApiToken_Revoked_Gets401WithProblemBody()
    {
        using var client = SignIn.NewClient(portal.BaseAddress);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await portal.RevokedTokenAsync());

        using var response = await client.GetAsync(new Uri("/api/v1/me", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task ApiToken_NarrowerThanItsUser_ActsWithTheTokensRoleAndRecordsUse()
    {
        var account = await portal.CreateAsync(PortalRoles.Admin);
        var issued = await portal.Services.GetRequiredService<ApiTokens>().CreateAsync(account.Id, "dashboards", PortalRoles.Viewer);
        using var client = SignIn.NewClient(portal.BaseAddress);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issued.Secret);

        var me = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/me", UriKind.Relative));
        using var audit = await client.GetAsync(new Uri("/api/v1/audit", UriKind.Relative));

        Assert.Equal("Viewer", me.GetProperty("role").GetString());
        Assert.Equal("dashboards", me.GetProperty("token").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, audit.StatusCode);
        var token = (await portal.Services.GetRequiredService<ApiTokens>().ListForUserAsync(account.Id)).Single();
        Assert.NotNull(token.LastUsedAt);
    }

    [Fact]
    public async Task Secrets_AfterSignInsAndTokenUse_NeverReachTheLogsOrAPage()
    {
        var account = await portal.CreateAsync(PortalRoles.Admin);
        using var client = SignIn.NewClient(portal.BaseAddress);
        var since = logs.Text.Length;
        (await SignIn.PostAsync(client, account.Login, "a wrong password 123")).Dispose();
        (await SignIn.PostAsync(client, account.Login, account.Password)).Dispose();
        var pages = new List<string>();
        foreach (var path in new[] { "/", "/account", "/admin/users", "/admin/audit" })
        {
            pages.Add(await client.GetStringAsync(new Uri(path, UriKind.Relative)));
        }
        var secret = await portal.TokenAsync(PortalRoles.Viewer);
        using var api = SignIn.NewClient(portal.BaseAddress);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        (await api.GetAsync(new Uri("/api/v1/me", UriKind.Relative))).Dispose();
        var databasePassword = new NpgsqlConnectionStringBuilder(database.ConnectionString).Password!;

        var logged = logs.Text;
        Assert.Contains(account.Login, logged[since..], StringComparison.Ordinal); // the sign-in was logged…
        foreach (var forbidden in new[] { account.Password, "a wrong password 123", secret, databasePassword })
        {
            Assert.DoesNotContain(forbidden, logged, StringComparison.Ordinal); // …its secrets were not
            Assert.All(pages, page => Assert.DoesNotContain(forbidden, page, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Responses_CarrySecurityHeaders()
    {
        using var client = SignIn.NewClient(portal.BaseAddress);

        using var response = await client.GetAsync(new Uri("/login", UriKind.Relative));

        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
    }
}

/// <summary>Sign-in attempts per client address (a separate portal: its throttle is configured low, behind a trusted proxy).</summary>
public sealed class SignInThrottleTests : PortalOnFreshDatabase
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Auth:MaxAttemptsPerAddress"] = "3";
        settings["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
    }

    [Fact]
    public async Task OneAddressTryingManyLogins_ThrottledWith429_AnotherAddressSignsIn()
    {
        using var attacker = SignIn.NewClient(App.BaseAddress);
        attacker.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.66");
        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 4; attempt++)
        {
            using var response = await SignIn.PostAsync(attacker, $"guess-{attempt}", "password123");
            statuses.Add(response.StatusCode);
            if (attempt == 3)
            {
                Assert.Contains("Too many sign-in attempts from your address", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
        var account = await App.CreateAsync(PortalRoles.Viewer);
        using var colleague = SignIn.NewClient(App.BaseAddress);
        colleague.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.7");
        using var signedIn = await SignIn.PostAsync(colleague, account.Login, account.Password);

        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
    }
}
