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
        var result = await SignIn.SignInAsync(Input!.Login, Input.Password, HttpContext.RequestAborted);
        switch (result.Outcome)
        {
            case SignInOutcome.Succeeded:
                await HttpContext.SignInWithCookieAsync(result.User!, Input.RememberMe);
                Navigation.NavigateTo(SafeReturnUrl, forceLoad: true);
                break;
            case SignInOutcome.LockedOut:
                error = $"Too many failed attempts: this account is locked until {result.LockedUntil:HH:mm} UTC.";
                break;
            case SignInOutcome.Disabled:
                error = "This account is disabled. Ask an admin to enable it.";
                break;
            default:
                error = "Wrong login or password.";
                break;
        }
        HttpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
    }
}
