using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Auth;

/// <summary>The open circuits' sessions, re-read together: one read answers every tab for 30 s, then a new one.</summary>
public sealed class CircuitSessionsTests : PortalOnFreshDatabase
{
    [Fact]
    public async Task OneReadAnswersEveryOpenSession_AnEndedSessionIsSeenAtTheNextRead()
    {
        var sessions = App.Services.GetRequiredService<AuthSessions>();
        var first = await App.CreateAsync(PortalRoles.Viewer);
        var second = await App.CreateAsync(PortalRoles.Developer);
        var a = await sessions.StartAsync(first.Id, TimeSpan.FromHours(1), rememberMe: false, "127.0.0.1", "test");
        var b = await sessions.StartAsync(second.Id, TimeSpan.FromHours(1), rememberMe: false, "127.0.0.1", "test");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var circuits = new CircuitSessions(sessions, time);
        circuits.Add(a.Id);
        circuits.Add(b.Id);

        Assert.Equal(first.Id, (await circuits.UserOfAsync(a.Id, CancellationToken.None))!.Id);
        await sessions.EndAsync(b.Id, "signed out elsewhere");
        // Read together with a's: b's answer comes from that read, not from a second statement.
        Assert.Equal(second.Id, (await circuits.UserOfAsync(b.Id, CancellationToken.None))!.Id);

        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Null(await circuits.UserOfAsync(b.Id, CancellationToken.None));
        Assert.Equal(first.Id, (await circuits.UserOfAsync(a.Id, CancellationToken.None))!.Id);

        // A closed tab's session is no longer read; a session first seen later triggers a read of its own.
        circuits.Remove(a.Id);
        var c = await sessions.StartAsync(first.Id, TimeSpan.FromHours(1), rememberMe: false, "127.0.0.1", "test");
        circuits.Add(c.Id);
        Assert.Equal(first.Id, (await circuits.UserOfAsync(c.Id, CancellationToken.None))!.Id);
    }
}
