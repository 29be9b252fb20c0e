using System.Net;
using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Jobs;
using Portal.Features.Reports;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Reports;

/// <summary>Subscriptions and their outbox against a real SMTP server: sent once per recipient and period, retried when SMTP is down, skipped without data, unsubscribed by link.</summary>
public sealed class ReportDeliveryTests : ReportMailTest
{
    // No Prometheus (the discard port: its panels are gaps): the shared one of a `./portal up` that has run for days holds
    // its own metrics for yesterday, and the periods these tests call empty must be empty whatever ran before.
    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Prometheus:Url"] = "http://127.0.0.1:9";
    }

    private ReportSubscriptions Subscriptions => App.Services.GetRequiredService<ReportSubscriptions>();

    private Task<string> RunJobAsync() => App.Services.GetRequiredService<ReportDelivery>().RunAsync(NoJobProgress.Instance, CancellationToken.None);

    // A daily subscription at midnight UTC made two days ago: yesterday's report is due now.
    private async Task<ReportSubscription> SubscribeAsync(bool skipWithoutData = true, params string[] recipients)
    {
        var (subscription, problem) = await Subscriptions.CreateAsync(Admin, recipients, new ReportScope([], ["portal"], []), ReportSchedules.Daily, 0, "UTC", skipWithoutData);
        Assert.Null(problem);
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.ExecuteAsync("UPDATE report_subscriptions SET created_at = now() - interval '2 days' WHERE id = @Id", subscription!);
        return (await Subscriptions.FindAsync(subscription!.Id))!;
    }

    private async Task SeedYesterdaysVitalsAsync()
    {
        var yesterday = ReportPeriod.Last(ReportSchedules.Daily, DateTimeOffset.UtcNow, "UTC");
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        for (var index = 0; index < 10; index++)
        {
            await connection.ExecuteAsync("""
                INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, page, device)
                VALUES ('portal', @at, 'LCP', @value, @value, 'good', @id, '/', 'desktop')
                """, new { at = yesterday.Start.AddHours(index + 1), value = 1_000 + 100 * index, id = $"lcp-{index}" });
        }
    }

    private async Task<List<(string Recipient, string Status, int Attempts)>> DeliveriesAsync()
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        return (await connection.QueryAsync<(string, string, int)>("SELECT recipient, status, attempts FROM report_deliveries ORDER BY recipient")).AsList();
    }

    [Fact]
    public async Task DueSubscription_SendsOneMessagePerRecipient_OnceHoweverOftenTheJobRuns()
    {
        await SeedYesterdaysVitalsAsync();
        await SubscribeAsync(true, "lead@example.com", "manager@example.com");

        await RunJobAsync();
        await RunJobAsync();

        var messages = Smtp.Messages();
        Assert.Equal(["lead@example.com", "manager@example.com"], messages.SelectMany(message => message.To.Mailboxes).Select(mailbox => mailbox.Address).Order());
        Assert.All(messages, message => Assert.StartsWith("Daily performance baseline — portal — day of ", message.Subject, StringComparison.Ordinal));
        Assert.All(messages, message => Assert.StartsWith("<https://portal.example/reports/unsubscribe?token=", message.Headers["List-Unsubscribe"], StringComparison.Ordinal));
        Assert.Equal([("lead@example.com", "sent", 1), ("manager@example.com", "sent", 1)], await DeliveriesAsync());
        Assert.Single(await App.Services.GetRequiredService<ReportArchive>().ListAsync());
    }

    [Fact]
    public async Task SmtpDown_TheDeliveryIsRetried_AndSentOnceWhenItIsBack()
    {
        await SeedYesterdaysVitalsAsync();
        await SubscribeAsync(true, "lead@example.com");
        await Smtp.StopAsync();

        await RunJobAsync();

        var (_, status, attempts) = Assert.Single(await DeliveriesAsync());
        Assert.Equal(("pending", 1), (status, attempts));
        await Smtp.StartAgainAsync();
        await using (var connection = new NpgsqlConnection(Database.ConnectionString))
        {
            await connection.ExecuteAsync("UPDATE report_deliveries SET next_attempt_at = now()"); // the back-off (a minute) has passed
        }
        await RunJobAsync();
        await RunJobAsync();                                   // a retried or repeated run sends nothing twice

        Assert.Single(Smtp.Messages());
        Assert.Equal([("lead@example.com", "sent", 2)], await DeliveriesAsync());
    }

    [Fact]
    public async Task NoData_IsSkipped_WhenTheSubscriptionSaysSo()
    {
        await SubscribeAsync(true, "lead@example.com");

        await RunJobAsync();

        Assert.Empty(Smtp.Messages());
        Assert.Equal([("lead@example.com", "skipped", 0)], await DeliveriesAsync());
        Assert.Empty(await App.Services.GetRequiredService<ReportArchive>().ListAsync());
    }

    [Fact]
    public async Task UnsubscribeLink_WorksWithoutSignIn_AndOnlyForItsOwnSubscription()
    {
        var shared = await SubscribeAsync(true, "lead@example.com", "manager@example.com");
        var other = await SubscribeAsync(true, "lead@example.com");
        var token = await Subscriptions.UnsubscribeTokenAsync(shared.Id, "lead@example.com");
        // The same signature on another subscription's payload: forged.
        var forged = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{other.Id}:lead@example.com")).TrimEnd('=').Replace('+', '-').Replace('/', '_') + "." + token.Split('.')[1];
        using var anonymous = App.CreateHttpClient();

        var asked = await anonymous.GetAsync(new Uri($"/reports/unsubscribe?token={Uri.EscapeDataString(token)}", UriKind.Relative));
        var refused = await anonymous.PostAsync(new Uri($"/reports/unsubscribe?token={Uri.EscapeDataString(forged)}", UriKind.Relative), null);
        var done = await anonymous.PostAsync(new Uri($"/reports/unsubscribe?token={Uri.EscapeDataString(token)}", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        Assert.Contains("Stop sending this report to <b>lead@example.com</b>?", await asked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Equal(["manager@example.com"], (await Subscriptions.FindAsync(shared.Id))!.Recipients);
        Assert.Equal(["lead@example.com"], (await Subscriptions.FindAsync(other.Id))!.Recipients);
    }

    [Fact]
    public async Task Subscribe_ByAUser_IsForThemselvesOnly_AndBadInputIsNamed()
    {
        // An SSO user: their login is their e-mail address.
        var viewer = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "lead@example.com"), new Claim(ClaimTypes.Role, PortalRoles.Viewer)], "test"));

        var (_, twoAddresses) = await Subscriptions.CreateAsync(viewer, ["lead@example.com", "boss@example.com"], ReportScope.Everything, ReportSchedules.Weekly, 8, "UTC", true);
        var (_, badAddress) = await Subscriptions.CreateAsync(viewer, ["not an address"], ReportScope.Everything, ReportSchedules.Weekly, 8, "UTC", true);
        var (_, badZone) = await Subscriptions.CreateAsync(viewer, ["lead@example.com"], ReportScope.Everything, ReportSchedules.Weekly, 8, "Mars/Olympus", true);
        var (_, someoneElse) = await Subscriptions.CreateAsync(viewer, ["ceo@example.com"], ReportScope.Everything, ReportSchedules.Weekly, 8, "UTC", true);
        var (mine, ok) = await Subscriptions.CreateAsync(viewer, ["Lead@Example.com"], ReportScope.Everything, ReportSchedules.Weekly, 8, "Europe/Paris", true);

        Assert.Equal("You subscribe yourself: one address (admins subscribe others).", twoAddresses);
        Assert.Equal("'not an address' is not an e-mail address.", badAddress);
        Assert.Equal("'Mars/Olympus' is not a time zone.", badZone);
        Assert.Equal("You may subscribe only your own address (lead@example.com); 'ceo@example.com' is not (admins subscribe others).", someoneElse);
        Assert.Null(ok);
        Assert.Equal(mine!.Id, Assert.Single(await Subscriptions.ListAsync(viewer)).Id);
        Assert.False(await Subscriptions.DeleteAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "someone"), new Claim(ClaimTypes.Role, PortalRoles.Viewer)], "test")), mine.Id));
        Assert.True(await Subscriptions.DeleteAsync(viewer, mine.Id));
    }

    [Fact]
    public async Task OwnerDisabled_TheirSubscriptionSendsNothing_AndSaysWhy_UntilEnabledAgain()
    {
        var users = App.Services.GetRequiredService<UserStore>();
        var owner = (await users.CreateAsync("lead@example.com", "Lead", PortalRoles.Viewer, null, "header"))!;
        var principal = PortalPrincipal.Create(owner, owner.Role, PortalPrincipal.Proxy, "test");
        var (subscription, problem) = await Subscriptions.CreateAsync(principal, ["lead@example.com"], new ReportScope([], ["portal"], []), ReportSchedules.Daily, 0, "UTC", skipWithoutData: false);
        Assert.Null(problem);
        await using (var connection = new NpgsqlConnection(Database.ConnectionString))
        {
            await connection.ExecuteAsync("UPDATE report_subscriptions SET created_at = now() - interval '2 days' WHERE id = @Id", subscription!);
        }
        subscription = (await Subscriptions.FindAsync(subscription!.Id))!;

        await users.SetDisabledAsync(owner.Id, true);
        var whileDisabled = await RunJobAsync();
        var reason = await Subscriptions.PausedBecauseAsync(subscription);
        await users.SetDisabledAsync(owner.Id, false);
        var enabledAgain = await RunJobAsync();

        Assert.StartsWith("0 deliveries planned, 0 skipped without data, 1 subscriptions paused", whileDisabled, StringComparison.Ordinal);
        Assert.Equal("paused: its owner lead@example.com is disabled", reason);
        Assert.StartsWith("1 deliveries planned", enabledAgain, StringComparison.Ordinal);
        Assert.Null(await Subscriptions.PausedBecauseAsync(subscription));
    }
}

/// <summary>Addresses at a domain an admin allows may be subscribed by anyone (a separate portal: its configuration differs).</summary>
public sealed class AllowedRecipientDomainTests : PortalOnFreshDatabase
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Reports:AllowedRecipientDomains:0"] = "team.example";

    [Fact]
    public async Task LocalUser_AddressAtAnAllowedDomain_Subscribed_OtherDomainsRefused()
    {
        var viewer = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "lead"), new Claim(ClaimTypes.Role, PortalRoles.Viewer)], "test"));
        var subscriptions = App.Services.GetRequiredService<ReportSubscriptions>();

        var (allowed, none) = await subscriptions.CreateAsync(viewer, ["lead@team.example"], ReportScope.Everything, ReportSchedules.Weekly, 8, "UTC", true);
        var (_, refused) = await subscriptions.CreateAsync(viewer, ["lead@gmail.example"], ReportScope.Everything, ReportSchedules.Weekly, 8, "UTC", true);

        Assert.Null(none);
        Assert.NotNull(allowed);
        Assert.Equal("You may subscribe only your own address or one at team.example; 'lead@gmail.example' is not (admins subscribe others).", refused);
    }
}
