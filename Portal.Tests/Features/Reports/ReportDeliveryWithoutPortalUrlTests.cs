using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Jobs;
using Portal.Features.Reports;

namespace Portal.Tests.Features.Reports;

/// <summary>Without the portal's address a subscribed report could carry no unsubscribe link: it waits, saying why.</summary>
public sealed class ReportDeliveryWithoutPortalUrlTests : ReportMailTest
{
    protected override string? PortalUrl => null;


    [Fact]
    public async Task SubscribedReport_IsNotSentWithoutAnUnsubscribeLink_TheDeliveryWaitsNamingTheSetting()
    {
        var (subscription, _) = await App.Services.GetRequiredService<ReportSubscriptions>()
            .CreateAsync(Admin, ["lead@example.com"], ReportScope.Everything, ReportSchedules.Daily, 0, "UTC", skipWithoutData: false);
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.ExecuteAsync("UPDATE report_subscriptions SET created_at = now() - interval '2 days' WHERE id = @Id", subscription!);

        await App.Services.GetRequiredService<ReportDelivery>().RunAsync(NoJobProgress.Instance, CancellationToken.None);

        Assert.Empty(Smtp.Messages());
        var (status, error) = await connection.QuerySingleAsync<(string, string)>("SELECT status, last_error FROM report_deliveries");
        Assert.Equal("pending", status);
        Assert.StartsWith("InvalidOperationException: PortalUrl is not set", error, StringComparison.Ordinal);
    }
}
