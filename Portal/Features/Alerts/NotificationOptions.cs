namespace Portal.Features.Alerts;

/// <summary>
/// How alerts become notifications: Alertmanager's grouping and its defaults. Where they go is <see cref="SlackOptions"/>
/// and the routes of <c>alerts.yaml</c>.
/// </summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>How long a new group waits for more alerts before its first notification.</summary>
    public int GroupWaitSeconds { get; set; } = 30;

    /// <summary>How long a group waits after a notification before telling of new alerts in it.</summary>
    public int GroupIntervalSeconds { get; set; } = 300;

    /// <summary>How long before an unchanged firing group is notified again.</summary>
    public int RepeatIntervalSeconds { get; set; } = 4 * 3600;

    public bool SendResolved { get; set; } = true;

    /// <summary>How long the sender retries a notification before marking it dead.</summary>
    public int GiveUpAfterSeconds { get; set; } = 3600;

    /// <summary>The portal's address, for the links in messages (the top-level <c>PortalUrl</c> unless set).</summary>
    public string? PortalUrl { get; set; }

    /// <summary>
    /// Destinations beside Slack's, by name (<c>Notifications:Destinations:oncall:Kind=pagerduty</c>, its
    /// <c>RoutingKey</c> a secret like every key, token and address here: never shown, never logged).
    /// </summary>
    public Dictionary<string, DestinationOptions> Destinations { get; set; } = new(StringComparer.Ordinal);

    public TimeSpan GroupWait => TimeSpan.FromSeconds(GroupWaitSeconds);
    public TimeSpan GroupInterval => TimeSpan.FromSeconds(GroupIntervalSeconds);
    public TimeSpan RepeatInterval => TimeSpan.FromSeconds(RepeatIntervalSeconds);
}
