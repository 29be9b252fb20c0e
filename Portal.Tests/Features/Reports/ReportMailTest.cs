using System.Security.Claims;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Reports;

/// <summary>A portal on a fresh database with a real SMTP server of its own (aiosmtpd), for the report's e-mails.</summary>
public abstract class ReportMailTest : PortalOnFreshDatabase
{
    protected SmtpServer Smtp { get; private set; } = null!;

    protected static ClaimsPrincipal Admin { get; } = new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin"), new Claim(ClaimTypes.Role, PortalRoles.Admin)], "test"));

    /// <summary>The portal's address in the e-mails' links; null: not configured.</summary>
    protected virtual string? PortalUrl => "https://portal.example";

    protected override void Configure(Dictionary<string, string?> settings)
    {
        Smtp = SmtpServer.StartAsync().GetAwaiter().GetResult();
        foreach (var (key, value) in Smtp.Settings())
        {
            settings[key] = value;
        }
        settings["PortalUrl"] = PortalUrl;
    }

    // The admin the tests act as is a real user: a subscription whose owner does not exist sends nothing.
    protected override async Task SeedAsync(Npgsql.NpgsqlConnection connection) =>
        await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<UserStore>(App.Services)
            .CreateAsync("admin", "Admin", PortalRoles.Admin, null, "local");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}
