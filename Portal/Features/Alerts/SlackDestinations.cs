using Microsoft.Extensions.Options;

namespace Portal.Features.Alerts;

/// <summary>
/// Slack's side of the configuration. Every address and token here is a secret (environment <c>Slack__WebhookUrl</c>,
/// <c>Slack__BotToken</c>, <c>Slack__Destinations__payments__WebhookUrl</c>…): never shown on a page, never logged.
/// </summary>
public sealed class SlackOptions
{
    public const string Section = "Slack";

    /// <summary>An incoming webhook: the destination named <c>slack</c>, where every notification goes unless routed elsewhere.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>A bot token (<c>xoxb-…</c>) for the destinations that name a channel.</summary>
    public string? BotToken { get; set; }

    /// <summary>Slack's Web API (the tests point it at their receiver).</summary>
    public string ApiUrl { get; set; } = "https://slack.com/api/";

    /// <summary>More destinations by name, each an incoming webhook or a channel posted to with the bot token.</summary>
    public Dictionary<string, SlackDestinationOptions> Destinations { get; set; } = [];
}

public sealed class SlackDestinationOptions
{
    public string? WebhookUrl { get; set; }

    /// <summary>A channel's ID or name, posted to with <c>chat.postMessage</c>: repeats and resolutions go in the first message's thread.</summary>
    public string? Channel { get; set; }

    /// <summary>This destination's own bot token, instead of <see cref="SlackOptions.BotToken"/>.</summary>
    public string? BotToken { get; set; }
}

/// <summary>A destination as pages show it: its name and how it is reached, without its secret.</summary>
public sealed record SlackDestination(string Name, string? Channel)
{
    public bool ViaBot => Channel is not null;

    public string Description => ViaBot ? $"{Channel} (bot token, threads)" : "incoming webhook";
}

/// <summary>The configured destinations, and the secrets the sender needs to reach them.</summary>
public sealed class SlackDestinations(IOptionsMonitor<SlackOptions> options)
{
    public const string Default = "slack";

    /// <summary>How to reach one destination: a webhook's address, or the Web API with a token and a channel.</summary>
    internal sealed record Endpoint(Uri Url, string? Token, string? Channel);

    public IReadOnlyList<SlackDestination> All() => Endpoints().Select(pair => new SlackDestination(pair.Key, pair.Value.Channel)).OrderBy(destination => destination.Name, StringComparer.Ordinal).ToList();

    public bool Exists(string name) => Endpoints().ContainsKey(name);

    internal Endpoint? Find(string name) => Endpoints().GetValueOrDefault(name);

    /// <summary>Why a destination cannot be used, naming the setting to give (never its value).</summary>
    public static string NotConfigured(string name) => name == Default
        ? "no Slack destination 'slack' is configured (set Slack:WebhookUrl)"
        : $"no Slack destination '{name}' is configured (set Slack:Destinations:{name}:WebhookUrl, or its Channel and a bot token)";

    private Dictionary<string, Endpoint> Endpoints()
    {
        var slack = options.CurrentValue;
        var endpoints = new Dictionary<string, Endpoint>(StringComparer.Ordinal);
        if (Absolute(slack.WebhookUrl) is { } webhook)
        {
            endpoints[Default] = new Endpoint(webhook, null, null);
        }
        foreach (var (name, destination) in slack.Destinations)
        {
            if (Absolute(destination.WebhookUrl) is { } url)
            {
                endpoints[name] = new Endpoint(url, null, null);
            }
            else if (destination.Channel is { Length: > 0 } channel && (destination.BotToken ?? slack.BotToken) is { Length: > 0 } token
                     && Absolute(slack.ApiUrl) is { } api)
            {
                endpoints[name] = new Endpoint(new Uri(api, "chat.postMessage"), token, channel);
            }
        }
        return endpoints;
    }

    private static Uri? Absolute(string? url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : null;
}
