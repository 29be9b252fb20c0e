using Bunit;
using Bunit.TestDoubles;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Data;
using Portal.Features.Alerts;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Alerts;

/// <summary>The notification history and one notification's page, rendered over a real outbox.</summary>
public sealed class NotificationHistoryTests : PortalComponentTest, IAsyncLifetime
{
    private const string Payload = """
        {"text": "[FIRING:1] ClockBehind — checkout", "attachments": [{"color": "#E01E5A", "blocks": [
          {"type": "section", "text": {"type": "mrkdwn", "text": "*[FIRING:1] ClockBehind — checkout*"}},
          {"type": "section", "text": {"type": "mrkdwn", "text": "• The clock reads 5 — *5* against 3 (critical)\n_service=checkout_"}},
          {"type": "context", "elements": [{"type": "mrkdwn", "text": "<https://portal.example/alerts|Alerts> · <https://runbooks.example/clock|Runbook>"}]}]}]}
        """;

    private TestDatabase database = null!;
    private BunitAuthorizationContext authorization = null!;
    private long dead;

    public override async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(PortalSettings.For(database)).Build();
        Services.AddPortalData(configuration);
        Services.AddAlerts(configuration);
        Services.AddSingleton(TimeProvider.System);
        authorization = AddAuthorization();
        await Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        dead = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO alert_notifications (group_key, destination, kind, title, payload, alerts, status, attempts, last_error, created_at)
            VALUES ('payments-oncall/ClockBehind/checkout', 'payments-oncall', 'firing', '[FIRING:1] ClockBehind — checkout', @payload::jsonb, 1, 'dead', 1,
                    'Slack answered channel_not_found', now() - interval '5 minutes')
            RETURNING id
            """, new { payload = Payload });
        await connection.ExecuteAsync("""
            INSERT INTO alert_notifications (group_key, destination, kind, title, payload, alerts, status, attempts, created_at, sent_at)
            VALUES ('slack/ClockBehind/checkout', 'slack', 'firing', '[FIRING:1] ClockBehind — checkout', @payload::jsonb, 1, 'sent', 1, now() - interval '5 minutes', now())
            """, new { payload = Payload });
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public void History_ShowsADeadNotificationInRed_WithItsLastError()
    {
        var page = Render<NotificationHistoryPage>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=notifications] tbody tr").Count));
        var row = page.Find($"[data-notification='{dead}']").Closest("tr")!;
        Assert.Contains("dead-notification", row.ClassList);
        Assert.Equal("dead", row.QuerySelector("[data-status]")!.GetAttribute("data-status"));
        Assert.Contains("mud-chip-color-error", row.QuerySelector("[data-status]")!.ClassName, StringComparison.Ordinal);
        var error = row.QuerySelector("[data-testid=last-error]")!;
        Assert.Equal("Slack answered channel_not_found", error.TextContent);
        Assert.Contains("mud-error-text", error.ClassList);
        Assert.Equal("payments-oncall", row.Children[2].TextContent); // Created, Message (and its kind), Destination
        Assert.Equal("2 notifications, 1 dead, 0 pending", page.Find("[data-testid=count]").TextContent);
    }

    [Fact]
    public void History_FilteredByStatus_ListsOnlyThoseAndSaysHowToSeeAll()
    {
        var navigation = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        navigation.NavigateTo("/alerts/notifications?status=dead");
        var page = Render<NotificationHistoryPage>();

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=notifications] tbody tr")));
        Assert.Contains("Slack answered channel_not_found", page.Find("[data-testid=notifications] tbody tr").TextContent, StringComparison.Ordinal);

        navigation.NavigateTo("/alerts/notifications?status=pending");
        page.WaitForAssertion(() => Assert.Contains("No notification matches these filters: clear them to see all.", page.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Detail_OfADeadNotification_PreviewsTheMessage_AndAnAdminSendsItAgain()
    {
        authorization.SetAuthorized("admin");
        authorization.SetRoles(PortalRoles.Viewer, PortalRoles.Developer, PortalRoles.Admin);

        var page = Render<NotificationDetailPage>(parameters => parameters.Add(detail => detail.Id, dead));

        page.WaitForAssertion(() => Assert.Contains("Not delivered after 1 attempt: Slack answered channel_not_found", page.Find("[data-testid=dead]").TextContent, StringComparison.Ordinal));
        var preview = page.Find("[data-testid=slack-preview]");
        Assert.Contains("#E01E5A", preview.GetAttribute("style"), StringComparison.Ordinal);
        Assert.Equal("[FIRING:1] ClockBehind — checkout", preview.QuerySelector("b")!.TextContent);
        Assert.Equal(["https://portal.example/alerts", "https://runbooks.example/clock"], preview.QuerySelectorAll("a").Select(link => link.GetAttribute("href")));

        await page.Find("[data-testid=retry]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=retried]")));
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        Assert.Equal("pending", await connection.ExecuteScalarAsync<string>("SELECT status FROM alert_notifications WHERE id = @dead", new { dead }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE action = 'alerts.retry' AND actor = 'admin'"));
    }
}
