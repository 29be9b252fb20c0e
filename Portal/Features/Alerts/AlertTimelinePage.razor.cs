using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Portal.Features.Alerts;

public sealed partial class AlertTimelinePage : ComponentBase
{
    [Parameter]
    public required string Fingerprint { get; set; }

    [Inject]
    public required AlertStore Store { get; init; }

    [Inject]
    public required NotificationActions Actions { get; init; }

    [CascadingParameter]
    public required Task<Microsoft.AspNetCore.Components.Authorization.AuthenticationState> Authentication { get; set; }

    private bool loaded;
    private bool canAcknowledge;
    private string? note;
    private IReadOnlyList<AlertGroup> groups = [];

    /// <summary>Who acknowledged the groups that told of it (one acknowledgement covers them all), or null.</summary>
    private Acknowledgement? Acknowledged => groups.Select(group => group.Acknowledged).OfType<Acknowledgement>().MaxBy(acknowledgement => acknowledgement.At);

    private async Task AcknowledgeAsync()
    {
        var user = (await Authentication).User;
        groups = await Actions.AcknowledgeAsync(user, Fingerprint, note?.Length > NotificationActions.NoteLimit ? note[..NotificationActions.NoteLimit] : note);
        notifications = await Store.NotificationsAsync(new NotificationFilter(Fingerprint: Fingerprint));
        note = null;
    }
    private AlertInstance? alert;
    private IReadOnlyList<AlertTransition> timeline = [];
    private IReadOnlyList<AlertNotification> notifications = [];

    protected override async Task OnParametersSetAsync()
    {
        alert = await Store.InstanceAsync(Fingerprint);
        if (alert is not null)
        {
            timeline = (await Store.TimelineAsync(Fingerprint)).Reverse().ToList(); // the latest first
            notifications = await Store.NotificationsAsync(new NotificationFilter(Fingerprint: Fingerprint));
            groups = await Store.GroupsOfAsync(Fingerprint);
            canAcknowledge = (await Authentication).User.IsInRole(Portal.Features.Auth.PortalRoles.Developer);
        }
        loaded = true;
    }

    private static Color StateColor(string state) => state switch
    {
        AlertStates.Firing => Color.Error,
        AlertStates.Pending => Color.Warning,
        _ => Color.Success,
    };
}
