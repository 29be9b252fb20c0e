using Microsoft.Playwright;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright (its own browser download cannot work here); a class fixture. Its headless
/// shell (package <c>chromium-headless-shell</c>, which `./portal test` installs) when there is one: the same Blink
/// without the full browser around it, Playwright's own choice for headless runs, a third less CPU for the browser tests
/// here; else the full <c>chromium</c>. The classes share one browser of each kind for the test run (a Playwright driver
/// and a Chromium started once, not per class); each fixture has contexts of its own (cookies, pages) and closes them
/// when its class is done, which ends their circuits.
/// </summary>
public class Chromium : IAsyncLifetime
{
    private const string HeadlessShell = "/usr/bin/chromium-headless-shell";
    private const string FullBrowser = "/usr/bin/chromium";

    private static readonly SemaphoreSlim Starting = new(1, 1);
    private static readonly Dictionary<string, IBrowser> Shared = [];
    private static IPlaywright? playwright;

    private readonly string executable;
    private readonly List<IBrowserContext> contexts = [];
    private IBrowser browser = null!;

    public Chromium()
        : this(File.Exists(HeadlessShell) ? HeadlessShell : FullBrowser)
    {
    }

    private Chromium(string executable) => this.executable = executable;

    /// <summary>
    /// The full browser, for the tests of what a user's browser reports through the Web Vitals snippet (INP on a hidden
    /// page among them): the headless shell once left an interaction's INP unreported where the full browser has not.
    /// </summary>
    public sealed class Full() : Chromium(FullBrowser);

    public async Task InitializeAsync()
    {
        // Expect(…) waits up to 15 s instead of 5: pages render on a machine running four test classes at once.
        Assertions.SetDefaultExpectTimeout(15_000);
        await Starting.WaitAsync();
        try
        {
            if (!Shared.TryGetValue(executable, out var shared) || !shared.IsConnected)
            {
                playwright ??= await Playwright.CreateAsync();
                Shared[executable] = shared = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = executable,
                    Headless = true,
                    // The machine has no network: keep Chromium from trying to reach Google's services.
                    Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                });
            }
            browser = shared;
        }
        finally
        {
            Starting.Release();
        }
    }

    /// <summary>A fresh browser context (its own cookies) and page, in UTC or the given IANA time zone.</summary>
    public async Task<IPage> NewPageAsync(string? timeZoneId = null)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 }, TimezoneId = timeZoneId });
        lock (contexts)
        {
            contexts.Add(context);
        }
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Signs in as a new user of <paramref name="role"/>, opens <paramref name="path"/> and waits for the circuit. The
    /// login form is posted over HTTP (<see cref="SignIn"/>: the same form, token and cookie) and the browser context
    /// gets its cookies, so each test loads its page and not the login page first (Chromium's largest cost in the run
    /// was one renderer per page load); <c>SignInBrowserTests</c> sign in through the page itself.
    /// </summary>
    public async Task<IPage> OpenAsync(PortalApp portal, string role = Portal.Features.Auth.PortalRoles.Admin, string path = "/", string? timeZoneId = null)
    {
        var account = await portal.CreateAsync(role);
        var cookies = new System.Net.CookieContainer();
        using (var client = SignIn.NewClient(portal.BaseAddress, cookies))
        using (var signedIn = await SignIn.PostAsync(client, account.Login, account.Password))
        {
            if (signedIn.StatusCode != System.Net.HttpStatusCode.Redirect)
            {
                throw new InvalidOperationException($"Signing in as {account.Login} answered {(int)signedIn.StatusCode}, not a redirect");
            }
        }
        var page = await NewPageAsync(timeZoneId);
        await page.Context.AddCookiesAsync(cookies.GetAllCookies().Select(cookie => new Cookie
        {
            Name = cookie.Name,
            Value = cookie.Value,
            Url = portal.BaseAddress.ToString(),
            HttpOnly = cookie.HttpOnly,
            Secure = cookie.Secure,
            SameSite = SameSiteAttribute.Lax,
        }));
        var target = new Uri(portal.BaseAddress, path);
        await page.GotoAsync(target.ToString());
        if (new Uri(page.Url).AbsolutePath != target.AbsolutePath)
        {
            throw new InvalidOperationException($"Opening {path} signed in as {account.Login} ended at {page.Url}");
        }
        await WaitForCircuitAsync(page);
        return page;
    }

    /// <summary>Saves a screenshot into $PORTAL_TEST_SCREENSHOTS when set, for a person to look at what the tests saw.</summary>
    public static async Task ScreenshotAsync(IPage page, string name, bool fullPage = false)
    {
        if (Environment.GetEnvironmentVariable("PORTAL_TEST_SCREENSHOTS") is { Length: > 0 } folder)
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = fullPage });
        }
    }

    /// <summary>From the page's next load on, records the text of every node the document shows, however briefly.</summary>
    public static Task RecordShownTextAsync(IPage page) => page.AddInitScriptAsync("""
        window.portalShown = [];
        new MutationObserver(records => records.forEach(record => record.addedNodes.forEach(node => window.portalShown.push(node.textContent ?? ''))))
            .observe(document, { childList: true, subtree: true });
        """);

    /// <summary>What <see cref="RecordShownTextAsync"/> recorded.</summary>
    public static Task<string[]> ShownTextAsync(IPage page) => page.EvaluateAsync<string[]>("window.portalShown");

    /// <summary>
    /// Clicks what opens a MudBlazor dialog and waits for the dialog's opening animation to end: it scales in for 0.1 s,
    /// and on a busy machine a click during it can land beside a button that is still moving (seen once in CI).
    /// </summary>
    public static async Task<ILocator> OpenDialogAsync(ILocator opener)
    {
        await opener.ClickAsync();
        var dialog = opener.Page.Locator(".mud-dialog");
        await dialog.WaitForAsync();
        await dialog.EvaluateAsync("dialog => Promise.all(dialog.getAnimations().map(animation => animation.finished))");
        return dialog;
    }

    public static Task WaitForCircuitAsync(IPage page) =>
        page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });

    public Task DisposeAsync() => CloseContextsAsync();

    /// <summary>
    /// Closes the contexts opened so far, which ends their circuits: before a portal of the test's own stops (a circuit's
    /// open WebSocket keeps Kestrel's graceful stop waiting out its 30 s shutdown time-out).
    /// </summary>
    public async Task CloseContextsAsync()
    {
        List<IBrowserContext> open;
        lock (contexts)
        {
            open = [.. contexts];
            contexts.Clear();
        }
        foreach (var context in open)
        {
            try
            {
                await context.CloseAsync();
            }
            catch (PlaywrightException)
            {
                // The browser went away with it (a test that crashed it): nothing left to close.
            }
        }
    }
}
