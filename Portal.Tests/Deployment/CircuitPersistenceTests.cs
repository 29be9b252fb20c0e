using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Deployment;

/// <summary>.NET 10 persists a paused or evicted circuit's state where any replica can resume it: the portal's HybridCache (Redis).</summary>
public sealed class CircuitPersistenceTests
{
    [Fact]
    public async Task CircuitState_PersistedToThePortalsHybridCache()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var portal = new PortalApp(PortalSettings.For(database)).Start();

        var options = portal.Services.GetRequiredService<IOptions<CircuitOptions>>().Value;

        Assert.Same(portal.Services.GetRequiredService<HybridCache>(), options.HybridPersistenceCache);
    }
}
