using Microsoft.AspNetCore.Components;
using Portal.Components;
using Portal.Components.Live;

namespace Portal.Features.Alerts;

public sealed partial class NotificationHistoryPage : ComponentBase, IDisposable
{
    private const string DefaultSince = "7d";
    private const int Limit = 500;
    private static readonly (string Key, string Name)[] Spans = [("24h", "last 24 hours"), ("7d", "last 7 days"), ("30d", "last 30 days"), ("all", "any time")];

    [Inject]
    public required NotificationDestinations Destinations { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [Inject]
    public required LiveFeeds Feeds { get; init; }

    [Inject]
    public required LiveViewer Viewer { get; init; }

    [SupplyParameterFromQuery(Name = "status")]
    public string? Status { get; set; }

    [SupplyParameterFromQuery(Name = "destination")]
    public string? Destination { get; set; }

    [SupplyParameterFromQuery(Name = "since")]
    public string? Since { get; set; }

    [SupplyParameterFromQuery(Name = "q")]
    public string? Q { get; set; }

    private IReadOnlyList<AlertNotification>? notifications;
    private IReadOnlyList<string> destinations = [];
    private LiveFollow<IReadOnlyList<AlertNotification>>? live;

    // One read per filter set and interval for every viewer (LiveFeeds).
    protected override async Task OnParametersSetAsync()
    {
        live ??= Feeds.Follow<IReadOnlyList<AlertNotification>>(Viewer, () => InvokeAsync(() =>
        {
            Show();
            StateHasChanged();
        }));
        var since = Since is not null && NotificationFilter.TryParseSince(Since, Time.GetUtcNow(), out _) ? Since : DefaultSince;
        var status = Status is not null && NotificationFilter.Statuses.Contains(Status) ? Status : null;
        var text = string.IsNullOrWhiteSpace(Q) ? null : Q.Trim();
        var destination = Destination;
        await live.FollowAsync($"notifications?status={status}&destination={destination}&since={since}&q={text}", TimeSpan.FromSeconds(15),
            (services, cancellationToken) =>
            {
                // A span ("7d") is read from the time of each read, so a page left open keeps its window moving.
                NotificationFilter.TryParseSince(since, services.GetRequiredService<TimeProvider>().GetUtcNow(), out var from);
                return services.GetRequiredService<AlertStore>().NotificationsAsync(new NotificationFilter(status, from, destination, Text: text, Limit: Limit), cancellationToken);
            });
        Show();
    }

    private void Show()
    {
        if (live?.Current?.Value is not { } read)
        {
            return;
        }
        notifications = read;
        // The configured destinations and any the outbox still holds (one since removed from the configuration).
        destinations = Destinations.All().Select(destination => destination.Name).Concat(read.Select(notification => notification.Destination))
            .Append(Destination).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private void Apply(params (string Name, string? Value)[] changes) =>
        Navigation.ReplaceQuery(new Dictionary<string, string?> { ["status"] = Status, ["destination"] = Destination, ["since"] = Since, ["q"] = Q }, changes);

    private string Count() => notifications is null ? ""
        : notifications.Count == Limit ? $"the newest {Limit}: narrow the filters for older ones"
        : $"{notifications.Count} notification{(notifications.Count == 1 ? "" : "s")}, {notifications.Count(notification => notification.Status == "dead")} dead, {notifications.Count(notification => notification.Status == "pending")} pending";

    private string EmptyText() => Status is null && Destination is null && string.IsNullOrWhiteSpace(Q)
        ? "No notification in this span: one is sent when an alert has fired for the group wait (or an admin sends a test message from the Alerts page)."
        : "No notification matches these filters: clear them to see all.";

    public void Dispose() => live?.Dispose();
}
