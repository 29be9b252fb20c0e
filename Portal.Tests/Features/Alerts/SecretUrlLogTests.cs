using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Alerts;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Alerts;

/// <summary>A Slack webhook's secret is its path: no log line, at any level, may carry it.</summary>
public sealed class SecretUrlLogTests
{
    [Fact]
    public async Task NotificationToAWebhook_SentAndRetried_ItsPathInNoLogLine()
    {
        await using var receiver = SlackReceiver.Start();
        receiver.Answer((500, null)); // a failure first: the paths that log errors run too
        using var logs = new CapturedLogs();
        await using var database = await TestDatabase.CreateAsync();
        var settings = PortalSettings.For(database);
        settings["Slack:WebhookUrl"] = receiver.WebhookUrl;
        settings["Logging:LogLevel:Default"] = "Trace";
        await using var portal = new PortalApp(settings, logs).Start();

        using var client = portal.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await portal.TokenAsync(PortalRoles.Admin));
        using var queued = await client.PostAsync(new Uri("/api/v1/alerts/test", UriKind.Relative), null);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, queued.StatusCode);
        var sender = ActivatorUtilities.CreateInstance<NotificationSender>(portal.Services);
        await Eventually.HoldsAsync(async () =>
        {
            while (await sender.SendNextAsync())
            {
            }
            return receiver.Messages.Any(message => message.AnsweredWith == 200);
        }, TimeSpan.FromSeconds(20), "the test message delivered after the 500");

        Assert.Contains("answered 500", logs.Text, StringComparison.Ordinal); // the outbound calls were logged…
        Assert.DoesNotContain("secret-part", logs.Text, StringComparison.Ordinal); // …without the webhook's secret path
        Assert.DoesNotContain("/services/T000", logs.Text, StringComparison.Ordinal);
    }
}
