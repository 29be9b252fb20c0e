using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Alerts;
using Portal.Features.Jobs;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Alerts;

/// <summary>
/// A portal whose alert rules read Prometheus's clock (<c>vector(time())</c>), so that evaluations at chosen instants
/// fire and clear them, and a local receiver in Slack's place. The rules are the test's <see cref="Rules"/>.
/// </summary>
public abstract class ClockAlertsTest : PortalOnFreshDatabase
{
    protected DateTimeOffset T0 { get; } = SliEvaluator.Floor(DateTimeOffset.UtcNow).AddMinutes(-30);

    /// <summary>When <c>ClockBehind</c> (the clock below this instant) clears.</summary>
    protected DateTimeOffset ClearsAt => T0.AddMinutes(12);

    protected SlackReceiver Receiver { get; private set; } = null!;

    protected string RulesFile { get; private set; } = "";

    /// <summary>The contents of alerts.yaml.</summary>
    protected abstract string Rules { get; }

    protected override void Configure(Dictionary<string, string?> settings)
    {
        Receiver = SlackReceiver.Start();
        RulesFile = settings.WithAlertRules(Rules);
        settings["Slack:WebhookUrl"] = Receiver.WebhookUrl;
        settings["Notifications:GroupWaitSeconds"] = "30";
        settings["Notifications:GroupIntervalSeconds"] = "300";
        settings["Notifications:RepeatIntervalSeconds"] = "600";
        settings["Notifications:PortalUrl"] = "https://portal.example";
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }

    protected Task<string> EvaluateAtAsync(DateTimeOffset at) => App.Services.GetRequiredService<AlertEvaluation>().RunAsync(NoJobProgress.Instance, CancellationToken.None, at);

    /// <summary>A sender made afresh, as after a restart of the worker.</summary>
    protected NotificationSender Sender => ActivatorUtilities.CreateInstance<NotificationSender>(App.Services);

    protected async Task SendAllDueAsync()
    {
        var sender = Sender;
        while (await sender.SendNextAsync())
        {
        }
    }

    protected async Task<IReadOnlyList<AlertNotification>> OutboxAsync() =>
        (await App.Services.GetRequiredService<AlertStore>().NotificationsAsync()).OrderBy(notification => notification.Id).ToList();

    protected async Task<HttpClient> ClientAsync(string role)
    {
        var client = App.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await App.TokenAsync(role));
        return client;
    }
}
