using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace Portal.Tests.Infrastructure;

/// <summary>Base of bUnit tests: MudBlazor's services and the live pages' feeds registered once; MudBlazor's own JS calls answered loosely.</summary>
public abstract class PortalComponentTest : BunitContext
{
    protected PortalComponentTest()
    {
        Services.AddMudServices();
        Services.AddLogging();
        Portal.Components.Live.LiveServiceCollectionExtensions.AddLiveFeeds(Services);
        JSInterop.Mode = JSRuntimeMode.Loose;
    }
}
