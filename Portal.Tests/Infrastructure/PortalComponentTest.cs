using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
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
        // bUnit waits 1 s by default; pages here read a real database on a machine running four test classes at once
        // (CI failed once with the renderer's dispatcher not reaching the check within the second).
        DefaultWaitTimeout = TimeSpan.FromSeconds(15);
        Services.AddMudServices();
        Services.AddLogging();
        // What a host gives the live feeds (their reads end when the application stops).
        Services.AddSingleton<IHostApplicationLifetime>(new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance));
        Portal.Components.Live.LiveServiceCollectionExtensions.AddLiveFeeds(Services);
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}
