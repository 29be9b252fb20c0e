using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace Portal.Features.Auth;

public sealed partial class Login
{
    [Inject]
    public required PasswordSignIn SignIn { get; init; }

    [Inject]
    public required IOptions<AuthOptions> Options { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required SignInThrottle Throttle { get; init; }

    [Inject]
    public required Audit.AuditLog Audit { get; init; }

    [CascadingParameter]
    public HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "login")]
    private LoginInput? Input { get; set; }

    [SupplyParameterFromQuery]
    public string? ReturnUrl { get; set; }

    private string? error;

    public sealed class LoginInput
    {
        [Required(ErrorMessage = "Enter your login.")]
        public string Login { get; set; } = "";

        [Required(ErrorMessage = "Enter your password.")]
        public string Password { get; set; } = "";

        public bool RememberMe { get; set; }
    }

    protected override void OnInitialized()
    {
        Input ??= new LoginInput();
        if (HttpMethods.IsGet(HttpContext.Request.Method) && HttpContext.User.Identity?.IsAuthenticated == true)
        {
            Navigation.NavigateTo(SafeReturnUrl);
        }
    }

    // Only a path on this site: never an absolute or protocol-relative address (open redirect).
    private string SafeReturnUrl =>
        ReturnUrl is { Length: > 0 } url && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url
            : "/";

    private async Task SignInAsync()
    {
        var address = HttpContext.Connection.RemoteIpAddress is { } remote ? (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString() : "unknown";
        if (Throttle.Check(address) is { } retryAfter)
        {
            error = $"Too many sign-in attempts from your address: try again in {Math.Ceiling(retryAfter.TotalMinutes):0} minutes.";
            HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return;
        }

        var result = await SignIn.SignInAsync(Input!.Login, Input.Password, HttpContext.RequestAborted);
        // Failed attempts name the account only when it exists: an unknown login may be a password typed in the wrong field.
        var subject = result.User?.Login ?? "(unknown login)";
        switch (result.Outcome)
        {
            case SignInOutcome.Succeeded:
                await HttpContext.SignInWithCookieAsync(result.User!, Input.RememberMe);
                await Audit.RecordAsync(result.User!.Login, "auth.sign-in", subject, null, new { rememberMe = Input.RememberMe });
                Navigation.NavigateTo(SafeReturnUrl, forceLoad: true);
                return;
            case SignInOutcome.Disabled:
                // Said only to someone who knew the password.
                await Audit.RecordAsync("anonymous", "auth.sign-in-failed", subject, null, new { reason = "disabled" });
                error = "This account is disabled. Ask an admin to enable it.";
                break;
            default:
                await Audit.RecordAsync("anonymous", "auth.sign-in-failed", subject, null,
                    new { reason = result.User is null ? "unknown login" : result.Outcome == SignInOutcome.LockedOut && !result.NewlyLocked ? "locked out" : "wrong password" });
                if (result.NewlyLocked)
                {
                    await Audit.RecordAsync("system", "auth.lockout", subject, null, new { until = result.LockedUntil });
                }
                // The same words for a wrong password, an unknown login and a locked account: the page tells nobody which logins exist.
                error = $"Wrong login or password. After {Options.Value.MaxFailedAttempts} wrong passwords in a row an account is locked for {Options.Value.LockoutMinutes} minutes.";
                break;
        }
        HttpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
    }
}
