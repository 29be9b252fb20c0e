using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Audit;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Auth;

public sealed class UserAdministrationTests(RunningPortalFixture fixture) : IClassFixture<RunningPortalFixture>
{
    private PortalApp Portal => fixture.Running.Portal;

    private UserAdministration Administration => Portal.Services.GetRequiredService<UserAdministration>();

    private async Task<(TestAccount Account, System.Security.Claims.ClaimsPrincipal Principal)> AdminAsync()
    {
        var account = await Portal.CreateAsync(PortalRoles.Admin);
        var user = await Portal.Services.GetRequiredService<UserStore>().FindByIdAsync(account.Id);
        return (account, PortalPrincipal.Create(user!, PortalRoles.Admin, PortalPrincipal.Password, "test"));
    }

    private async Task<AuditEntry> LatestAuditAsync(string subject) =>
        (await Portal.Services.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery(Text: subject), 0, 1)).Entries.Single();

    [Fact]
    public async Task SetRole_RecordsWhoAndTheStateBeforeAndAfter()
    {
        var (admin, actor) = await AdminAsync();
        var target = await Portal.CreateAsync(PortalRoles.Viewer);

        var result = await Administration.SetRoleAsync(actor, target.Id, PortalRoles.Developer);

        Assert.True(result.Succeeded, result.Error);
        var entry = await LatestAuditAsync(target.Login);
        Assert.Equal(admin.Login, entry.Actor);
        Assert.Equal("user.role", entry.Action);
        Assert.Equal("Viewer", JsonDocument.Parse(entry.Before!).RootElement.GetProperty("role").GetString());
        Assert.Equal("Developer", JsonDocument.Parse(entry.After!).RootElement.GetProperty("role").GetString());
    }

    [Fact]
    public async Task CreateUser_ShortPasswordOrTakenLogin_IsRefusedWithTheReason()
    {
        var (_, actor) = await AdminAsync();
        var existing = await Portal.CreateAsync(PortalRoles.Viewer);

        var (_, shortPassword) = await Administration.CreateUserAsync(actor, "newcomer-" + Guid.NewGuid().ToString("N")[..6], "", PortalRoles.Viewer, "short");
        var (_, taken) = await Administration.CreateUserAsync(actor, existing.Login.ToUpperInvariant(), "", PortalRoles.Viewer, "long enough password");

        Assert.Equal($"The password must have at least {PasswordSignIn.MinimumPasswordLength} characters.", shortPassword.Error);
        Assert.Equal($"A user '{existing.Login.ToUpperInvariant()}' already exists.", taken.Error);
    }

    [Fact]
    public async Task DisableOrDemote_TheLastEnabledAdmin_IsRefused()
    {
        // Every other admin disabled: the one left must stay.
        var store = Portal.Services.GetRequiredService<UserStore>();
        var (admin, actor) = await AdminAsync();
        foreach (var other in (await store.ListAsync()).Where(user => user.Role == PortalRoles.Admin && user.Id != admin.Id))
        {
            await store.SetDisabledAsync(other.Id, true);
        }

        var demote = await Administration.SetRoleAsync(actor, admin.Id, PortalRoles.Viewer);
        var disableSelf = await Administration.SetDisabledAsync(actor, admin.Id, true);

        Assert.Equal("This is the last enabled admin: make another user admin first.", demote.Error);
        Assert.Equal("You cannot disable yourself.", disableSelf.Error);
        Assert.Equal(PortalRoles.Admin, (await store.FindByIdAsync(admin.Id))!.Role);
    }

    [Fact]
    public async Task CreateToken_RoleAboveTheUsers_IsRefused()
    {
        var viewer = await Portal.CreateAsync(PortalRoles.Viewer);
        var user = await Portal.Services.GetRequiredService<UserStore>().FindByIdAsync(viewer.Id);
        var actor = PortalPrincipal.Create(user!, PortalRoles.Viewer, PortalPrincipal.Password, "test");

        var (token, result) = await Administration.CreateTokenAsync(actor, "escalate", PortalRoles.Admin);

        Assert.Null(token);
        Assert.Equal("A token's role can be at most yours (Viewer).", result.Error);
    }
}
