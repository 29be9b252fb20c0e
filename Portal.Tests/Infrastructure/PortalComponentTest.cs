using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// Base of bUnit tests: MudBlazor's services and the live pages' feeds registered once; MudBlazor's own JS calls
/// answered loosely. Disposed asynchronously by xUnit, as MudBlazor's services require.
/// </summary>
public abstract class PortalComponentTest : BunitContext, IAsyncLifetime
{
    protected PortalComponentTest()
    {
        Services.AddMudServices();
        Services.AddLogging();
        Portal.Components.Live.LiveServiceCollectionExtensions.AddLiveFeeds(Services);
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}
