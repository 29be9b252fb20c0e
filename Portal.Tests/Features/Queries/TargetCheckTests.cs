using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Queries;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Queries;

/// <summary>The least-privilege checklist of a target, read from its own role's grants on a real cluster.</summary>
public sealed class TargetCheckTests
{
    [Fact]
    public async Task Capabilities_OfAMonitoringRole_SayWhatItMayDo_AndTheGrantsForTheRest()
    {
        await using var database = await TestDatabase.CreateAsync();
        var role = "monitor_" + Guid.NewGuid().ToString("N")[..8];
        const string password = "Monitor-Pass-1";
        await AdminAsync($"CREATE ROLE {role} LOGIN PASSWORD '{password}'", $"GRANT pg_monitor TO {role}", $"GRANT CONNECT ON DATABASE \"{database.Name}\" TO {role}");
        try
        {
            var settings = PortalSettings.For(database);
            settings["Queries:Targets:shop:ConnectionString"] = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role, Password = password }.ConnectionString;
            await using var portal = new PortalApp(settings).Start();
            var targets = portal.Services.GetRequiredService<QueryTargets>();
            var check = portal.Services.GetRequiredService<TargetCheck>();

            var status = await check.RunAsync(targets.Find("shop")!);
            Assert.Equal(
                [("statistics", true, $"GRANT pg_monitor TO {role};"), ("explain", false, $"GRANT pg_read_all_data TO {role};  -- or GRANT SELECT ON the tables to explain"), ("cancel", false, $"GRANT pg_signal_backend TO {role};")],
                status.Capabilities.Select(capability => (capability.Key, capability.Granted, capability.Grant)));

            // The admin's page lists them, with the SQL for what is missing.
            using var admin = await portal.SignedInClientAsync(PortalRoles.Admin);
            var page = WebUtility.HtmlDecode(await admin.GetStringAsync("/admin/targets"));
            Assert.Contains("data-capability=\"explain\" data-granted=\"false\"", page);
            Assert.Contains($"<code>GRANT pg_signal_backend TO {role};</code>", page);
            // And the API, for scripts that onboard a database.
            using var developer = await portal.SignedInClientAsync(PortalRoles.Developer);
            using var targetsJson = System.Text.Json.JsonDocument.Parse(await developer.GetStringAsync("/api/v1/targets"));
            var shop = targetsJson.RootElement.EnumerateArray().Single(target => target.GetProperty("name").GetString() == "shop");
            Assert.Equal(["statistics:True", "explain:False", "cancel:False"],
                shop.GetProperty("capabilities").EnumerateArray().Select(capability => $"{capability.GetProperty("key").GetString()}:{capability.GetProperty("granted").GetBoolean()}"));

            // Granted what the README grants: every box ticked.
            await AdminAsync($"GRANT pg_read_all_data, pg_signal_backend TO {role}");
            status = await check.RunAsync(targets.Find("shop")!);
            Assert.All(status.Capabilities, capability => Assert.True(capability.Granted, capability.Key));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await AdminAsync($"REVOKE CONNECT ON DATABASE \"{database.Name}\" FROM {role}", $"DROP ROLE {role}");
        }
    }

    private static async Task AdminAsync(params string[] statements)
    {
        await using var admin = new NpgsqlConnection(TestServices.PostgresAdmin);
        await admin.OpenAsync();
        foreach (var statement in statements)
        {
            await using var command = new NpgsqlCommand(statement, admin);
            await command.ExecuteNonQueryAsync();
        }
    }
}
