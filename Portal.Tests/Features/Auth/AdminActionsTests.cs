using Dapper;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Npgsql;
using Portal.Features.Alerts;
using Portal.Features.Auth;
using Portal.Features.Cache;
using Portal.Features.Jobs;
using Portal.Features.Queries;
using Portal.Features.Reports;
using Portal.Features.Vitals;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Auth;

/// <summary>
/// Admin actions are checked by the service that acts, not only hidden from other roles: a circuit event for a hidden
/// button can be sent by any signed-in browser. A Developer calling each is refused, and nothing is done or audited
/// (one portal for the class: each case compares the audit log before and after).
/// </summary>
public sealed class AdminActionsTests(RunningPortalWithSlackFixture fixture) : IClassFixture<RunningPortalWithSlackFixture>
{
    private readonly RunningPortal running = fixture.Running;

    private async Task<long> AuditedAsync()
    {
        await using var connection = new NpgsqlConnection(running.Database.ConnectionString);
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log");
    }

    private static readonly System.Security.Claims.ClaimsPrincipal Developer = PortalPrincipal.Create(
        new PortalUser { Id = 1, Login = "dev", DisplayName = "Dev", Role = PortalRoles.Developer, Source = "local", Disabled = false, FailedAttempts = 0, CreatedAt = DateTimeOffset.UtcNow },
        PortalRoles.Developer, PortalPrincipal.Password, "test");

    public static TheoryData<string> Actions => ["run a job", "pause a job", "flush the cache", "cancel a query", "send a test alert", "retry a notification",
        "save an app", "rotate a key", "create a silence", "e-mail a preview", "e-mail an archived report"];

    [Theory]
    [MemberData(nameof(Actions))]
    public async Task DeveloperCallsAnAdminAction_Refused_NothingAudited(string action)
    {
        var services = running.Portal.Services;
        Func<Task> act = action switch
        {
            "run a job" => () => services.GetRequiredService<JobsService>().RunNowAsync(Developer, "cache-cleanup"),
            "pause a job" => () => services.GetRequiredService<JobsService>().SetPausedAsync(Developer, "cache-cleanup", true),
            "flush the cache" => () => services.GetRequiredService<CacheOverview>().FlushAsync(Developer, "prometheus"),
            "cancel a query" => () => services.GetRequiredService<LiveActivity>().CancelAsync(Developer, "portal", 1, null),
            "send a test alert" => () => services.GetRequiredService<NotificationActions>().SendTestAsync(Developer, "slack"),
            "retry a notification" => () => services.GetRequiredService<NotificationActions>().RetryAsync(Developer, 1),
            "save an app" => () => services.GetRequiredService<VitalsApps>().SaveAsync(Developer, new VitalsApp { Id = "shop", Name = "Shop", PublicKey = VitalsApps.NewKey(), AllowedOrigins = [] }, create: true),
            "rotate a key" => () => services.GetRequiredService<VitalsApps>().RotateKeyAsync(Developer, "portal"),
            "create a silence" => () => services.GetRequiredService<SilenceStore>().CreateAsync(Developer, new Dictionary<string, string> { ["alertname"] = "X" }, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), "no"),
            "e-mail a preview" => () => services.GetRequiredService<Portal.Features.Reports.Reports>().PreviewAsync(Developer, MailboxAddress.Parse("x@example.com"), new ReportScope([], [], []), ReportSchedules.Weekly, "UTC"),
            "e-mail an archived report" => () => services.GetRequiredService<Portal.Features.Reports.Reports>().SendArchivedAsync(Developer, 1, MailboxAddress.Parse("x@example.com")),
            _ => throw new ArgumentOutOfRangeException(nameof(action)),
        };

        var audited = await AuditedAsync();

        var refused = await Assert.ThrowsAsync<ForbiddenActionException>(act);

        Assert.StartsWith("Only an Admin may", refused.Message, StringComparison.Ordinal);
        Assert.Equal(audited, await AuditedAsync());
    }

    [Fact]
    public async Task HangfireDashboard_ForAnAdmin_ShowsJobsButOffersNoAction()
    {
        using var admin = await running.Portal.SignedInClientAsync(PortalRoles.Admin);

        var recurring = await admin.GetStringAsync(new Uri("/hangfire/recurring", UriKind.Relative));

        Assert.Contains("cache-cleanup", recurring, StringComparison.Ordinal);
        Assert.DoesNotContain("recurring/trigger", recurring, StringComparison.Ordinal); // no "Trigger now"
        Assert.DoesNotContain("recurring/remove", recurring, StringComparison.Ordinal);  // no "Delete"
    }
}
