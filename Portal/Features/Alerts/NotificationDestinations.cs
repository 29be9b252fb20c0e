using Microsoft.Extensions.Options;

namespace Portal.Features.Alerts;

/// <summary>The channels a notification can go to.</summary>
public static class DestinationKinds
{
    public const string Slack = "slack";

    /// <summary>PagerDuty's Events API v2: a trigger per notification of a group's episode, a resolve at its end (one <c>dedup_key</c>).</summary>
    public const string PagerDuty = "pagerduty";

    /// <summary>Opsgenie's Alert API: an alert created per notification (one <c>alias</c> per episode), closed at its end.</summary>
    public const string Opsgenie = "opsgenie";

    /// <summary>Microsoft Teams: an Adaptive Card posted to a Workflows webhook.</summary>
    public const string Teams = "teams";

    /// <summary>E-mail through the report's SMTP settings.</summary>
    public const string Email = "email";

    /// <summary>Any HTTP receiver, with Alertmanager's webhook payload (version 4): every receiver written for Alertmanager works.</summary>
    public const string Webhook = "webhook";

    public static readonly IReadOnlyList<string> Configurable = [PagerDuty, Opsgenie, Teams, Email, Webhook];
}

/// <summary>
/// One destination beside Slack's (<c>Notifications:Destinations:&lt;name&gt;</c>): its kind and what that kind needs.
/// Keys, tokens and addresses are secrets.
/// </summary>
public sealed class DestinationOptions
{
    /// <summary><c>pagerduty</c>, <c>opsgenie</c>, <c>teams</c>, <c>email</c> or <c>webhook</c>.</summary>
    public string? Kind { get; set; }

    /// <summary>PagerDuty: the Events API v2 integration key of the service.</summary>
    public string? RoutingKey { get; set; }

    /// <summary>Opsgenie: the API integration's key.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Teams: the Workflows webhook's address; webhook: the receiver's; PagerDuty: the Events API's (default
    /// <c>https://events.pagerduty.com/v2/enqueue</c>); Opsgenie: the API's (default <c>https://api.opsgenie.com/</c>; EU accounts <c>https://api.eu.opsgenie.com/</c>).
    /// </summary>
    public string? Url { get; set; }

    /// <summary>Webhook: a bearer token sent in <c>Authorization</c>, when the receiver wants one.</summary>
    public string? BearerToken { get; set; }

    /// <summary>E-mail: the addresses, comma-separated.</summary>
    public string? To { get; set; }
}

/// <summary>A destination as pages and the API show it: its name, its kind and how it is reached, without its secret.</summary>
public sealed record Destination(string Name, string Kind, string Description);

/// <summary>
/// Every configured destination, Slack's (<see cref="SlackDestinations"/>) and the others, by the names routes give;
/// the settings the sender needs to reach one.
/// </summary>
public sealed class NotificationDestinations(SlackDestinations slack, IOptionsMonitor<NotificationOptions> options)
{
    public const string PagerDutyEventsUrl = "https://events.pagerduty.com/v2/enqueue";
    public const string OpsgenieApiUrl = "https://api.opsgenie.com/";

    public IReadOnlyList<Destination> All() => slack.All().Select(destination => new Destination(destination.Name, DestinationKinds.Slack, $"Slack: {destination.Description}"))
        .Concat(Others().Select(pair => new Destination(pair.Key, pair.Value.Kind!, Describe(pair.Value))))
        .OrderBy(destination => destination.Name, StringComparer.Ordinal).ToList();

    public bool Exists(string name) => Find(name) is not null;

    public Destination? Find(string name) => All().FirstOrDefault(destination => destination.Name == name);

    /// <summary>The settings of a destination that is not Slack's; null for Slack's or an unknown name.</summary>
    internal DestinationOptions? Settings(string name) => Others().GetValueOrDefault(name);

    /// <summary>Why a destination cannot be used, naming the settings to give (never their values).</summary>
    public string NotConfigured(string name) => options.CurrentValue.Destinations.TryGetValue(name, out var given) && Problem(given) is { } problem
        ? $"destination '{name}' cannot be used: {problem}"
        : Unknown(name);

    /// <summary>A name no destination has, and the settings that would give it one.</summary>
    public static string Unknown(string name) => name == SlackDestinations.Default
        ? SlackDestinations.NotConfigured(name)
        : $"no destination '{name}' is configured (set Notifications:Destinations:{name}:Kind and what that kind needs, or Slack:Destinations:{name}:WebhookUrl)";

    /// <summary>What a destination's settings lack, or null when it can be used.</summary>
    public static string? Problem(DestinationOptions destination) => destination.Kind switch
    {
        DestinationKinds.PagerDuty when string.IsNullOrWhiteSpace(destination.RoutingKey) => "a PagerDuty destination needs its RoutingKey",
        DestinationKinds.Opsgenie when string.IsNullOrWhiteSpace(destination.ApiKey) => "an Opsgenie destination needs its ApiKey",
        DestinationKinds.Teams or DestinationKinds.Webhook when Absolute(destination.Url) is null => $"a {destination.Kind} destination needs its Url (an absolute address)",
        DestinationKinds.Email when string.IsNullOrWhiteSpace(destination.To) => "an e-mail destination needs its To (addresses, comma-separated)",
        DestinationKinds.PagerDuty or DestinationKinds.Opsgenie when destination.Url is { Length: > 0 } && Absolute(destination.Url) is null => "its Url is not an absolute address",
        DestinationKinds.PagerDuty or DestinationKinds.Opsgenie or DestinationKinds.Teams or DestinationKinds.Email or DestinationKinds.Webhook => null,
        null or "" => $"its Kind is missing ({string.Join(", ", DestinationKinds.Configurable)})",
        var unknown => $"its Kind '{unknown}' is none of {string.Join(", ", DestinationKinds.Configurable)}",
    };

    private static string Describe(DestinationOptions destination) => destination.Kind switch
    {
        DestinationKinds.PagerDuty => "PagerDuty: Events API v2",
        DestinationKinds.Opsgenie => "Opsgenie: Alert API",
        DestinationKinds.Teams => "Microsoft Teams: Workflows webhook",
        // The addresses are configuration like the rest: counted, not shown.
        DestinationKinds.Email => $"e-mail to {destination.To!.Split(',', StringSplitOptions.RemoveEmptyEntries).Length} address(es), through the SMTP settings",
        _ => "webhook (Alertmanager's payload, version 4)",
    };

    // A Slack destination of the same name wins: its section is Slack's own.
    private Dictionary<string, DestinationOptions> Others() => options.CurrentValue.Destinations
        .Where(pair => Problem(pair.Value) is null && !slack.Exists(pair.Key))
        .ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);

    internal static Uri? Absolute(string? url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;
}
