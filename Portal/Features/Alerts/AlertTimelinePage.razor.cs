using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Portal.Features.Alerts;

public sealed partial class AlertTimelinePage : ComponentBase
{
    [Parameter]
    public required string Fingerprint { get; set; }

    [Inject]
    public required AlertStore Store { get; init; }

    private bool loaded;
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
