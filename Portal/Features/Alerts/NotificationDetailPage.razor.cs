using System.Text.Json;
using Microsoft.AspNetCore.Components;

namespace Portal.Features.Alerts;

public sealed partial class NotificationDetailPage : ComponentBase
{
    [Parameter]
    public long Id { get; set; }

    [Inject]
    public required AlertStore Store { get; init; }

    [Inject]
    public required NotificationActions Actions { get; init; }

    [Inject]
    public required NotificationDestinations Destinations { get; init; }

    /// <summary>The kind of the notification's destination (Slack's format when it is no longer configured, as it was queued).</summary>
    private string Channel => Destinations.Find(notification!.Destination)?.Kind ?? DestinationKinds.Slack;

    [CascadingParameter]
    public required Task<Microsoft.AspNetCore.Components.Authorization.AuthenticationState> Authentication { get; set; }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private bool loaded;
    private bool retried;
    private AlertNotification? notification;
    private IReadOnlyList<(string Fingerprint, AlertInstance? Alert)> alerts = [];
    private IReadOnlyList<AlertNotification> episode = [];

    private string PrettyPayload => JsonSerializer.Serialize(JsonDocument.Parse(notification!.Payload).RootElement, Indented);

    protected override async Task OnParametersSetAsync()
    {
        retried = false;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        notification = await Store.NotificationAsync(Id);
        if (notification is not null)
        {
            var instances = new List<(string, AlertInstance?)>();
            foreach (var fingerprint in notification.Fingerprints)
            {
                instances.Add((fingerprint, await Store.InstanceAsync(fingerprint)));
            }
            alerts = instances;
            episode = notification.Episode is null ? [] : await Store.EpisodeAsync(notification.GroupKey, notification.Episode.Value);
        }
        loaded = true;
    }

    private async Task RetryAsync()
    {
        retried = await Actions.RetryAsync((await Authentication).User, Id);
        await LoadAsync();
    }
}
