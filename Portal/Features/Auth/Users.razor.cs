using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace Portal.Features.Auth;

public sealed partial class Users
{
    private const string LocalSource = "local";

    [Inject]
    public required UserStore Store { get; init; }

    [Inject]
    public required UserAdministration Administration { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = default!;

    private IReadOnlyList<PortalUser>? users;
    private ClaimsPrincipal Actor { get; set; } = new();
    private string search = "";
    private string? message;
    private bool messageIsError;

    protected override async Task OnInitializedAsync()
    {
        Actor = (await Authentication).User;
        await LoadAsync();
    }

    private async Task LoadAsync() => users = await Store.ListAsync();

    private bool Matches(PortalUser user) =>
        string.IsNullOrWhiteSpace(search)
        || user.Login.Contains(search, StringComparison.OrdinalIgnoreCase)
        || user.DisplayName.Contains(search, StringComparison.OrdinalIgnoreCase)
        || user.Role.Contains(search, StringComparison.OrdinalIgnoreCase);

    private async Task RunAsync(PortalUser user, Task<AdminResult> action, string done)
    {
        var result = await action;
        (message, messageIsError) = result.Succeeded ? ($"{user.Login} {done}.", false) : (result.Error, true);
        await LoadAsync();
    }

    private Task SignOutEverywhereAsync(PortalUser user) =>
        RunAsync(user, Administration.SignOutEverywhereAsync(Actor, user.Id), "is signed out of every browser");

    private Task UnlockAsync(PortalUser user) => RunAsync(user, Administration.UnlockAsync(Actor, user.Id), "unlocked");

    private Task ToggleDisabledAsync(PortalUser user) =>
        RunAsync(user, Administration.SetDisabledAsync(Actor, user.Id, !user.Disabled), user.Disabled ? "enabled" : "disabled");

    private Task SetRoleAsync(PortalUser user, string role) =>
        RunAsync(user, Administration.SetRoleAsync(Actor, user.Id, role), $"is now {role}");

    private async Task NewUserAsync()
    {
        var dialog = await Dialogs.ShowAsync<NewUserDialog>("New user");
        if (await dialog.Result is { Canceled: false, Data: PortalUser created })
        {
            (message, messageIsError) = ($"{created.Login} created as {created.Role}.", false);
            await LoadAsync();
        }
    }

    private async Task ResetPasswordAsync(PortalUser user)
    {
        var parameters = new DialogParameters<PasswordDialog> { { dialog => dialog.UserId, user.Id }, { dialog => dialog.Login, user.Login } };
        var dialog = await Dialogs.ShowAsync<PasswordDialog>("Reset password", parameters);
        if (await dialog.Result is { Canceled: false })
        {
            (message, messageIsError) = ($"The password of {user.Login} was reset.", false);
            await LoadAsync();
        }
    }
}
