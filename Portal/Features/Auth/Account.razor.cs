using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace Portal.Features.Auth;

public sealed partial class Account
{
    [Inject]
    public required ApiTokens Tokens { get; init; }

    [Inject]
    public required UserAdministration Administration { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [Inject]
    public required AuthSessions Sessions { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = default!;

    private ClaimsPrincipal Principal { get; set; } = new();
    private string Role => Principal.PortalRole() ?? PortalRoles.Viewer;
    private IReadOnlyList<ApiToken>? tokens;
    private IssuedToken? issued;
    private string newName = "";
    private string newRole = PortalRoles.Viewer;
    private string? error;

    protected override async Task OnInitializedAsync()
    {
        Principal = (await Authentication).User;
        newRole = Role;
        await LoadAsync();
    }

    private IReadOnlyList<AuthSession>? sessions;

    private async Task LoadAsync()
    {
        tokens = Principal.UserId() is { } id ? await Tokens.ListForUserAsync(id) : [];
        // Only a password sign-in has sessions here; the SSO proxy keeps its own.
        sessions = Principal.SessionId() is not null && Principal.UserId() is { } user ? await Sessions.ListOpenAsync(user) : null;
    }

    private static string Shorten(string userAgent) => userAgent.Length <= 80 ? userAgent : userAgent[..80] + "…";

    private async Task SignOutEverywhereAsync()
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Sign out everywhere",
            "Every browser signed in as you, this one included, will have to sign in again.", yesText: "Sign out everywhere", cancelText: "Cancel");
        if (confirmed != true || Principal.UserId() is not { } id)
        {
            return;
        }
        error = (await Administration.SignOutEverywhereAsync(Principal, id)).Error;
        if (error is null)
        {
            Navigation.NavigateTo("/login", forceLoad: true);
        }
    }

    private async Task CreateAsync()
    {
        var (token, result) = await Administration.CreateTokenAsync(Principal, newName, newRole);
        (issued, error) = (token, result.Error);
        if (result.Succeeded)
        {
            newName = "";
            await LoadAsync();
        }
    }

    private async Task RevokeAsync(ApiToken token)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Revoke token",
            $"Scripts using “{token.Name}” will get 401 from now on. This cannot be undone.", yesText: "Revoke", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }
        error = (await Administration.RevokeTokenAsync(Principal, token.Id)).Error;
        await LoadAsync();
    }
}
