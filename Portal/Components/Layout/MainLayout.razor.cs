using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.JSInterop;

namespace Portal.Components.Layout;

public sealed partial class MainLayout : IAsyncDisposable
{
    [Inject]
    public required IJSRuntime JS { get; init; }

    [Inject]
    public required Live.LiveViewer Viewer { get; init; }

    [Inject]
    public required NavigationManager NavigationManager { get; init; }

    /// <summary>The browser's time zone as remembered in its cookie, read during the first render.</summary>
    [CascadingParameter(Name = "RememberedTimeZone")]
    public string? RememberedTimeZone { get; set; }

    private IJSObjectReference? browser;
    private DotNetObjectReference<Live.LiveViewer>? viewerReference;
    private bool navigated;
    private string? navigatedArea;
    private TimeZoneInfo viewerTimeZone = TimeZoneInfo.Utc;

    protected override void OnInitialized()
    {
        if (RememberedTimeZone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(RememberedTimeZone, out var remembered))
        {
            viewerTimeZone = remembered;
        }
        NavigationManager.LocationChanged += OnLocationChanged;
    }

    /// <summary>
    /// The server drew the drawer for the page it served; after an in-page navigation the browser moves the mark — once
    /// its module is loaded: a link followed before that (a quick click on a slow connection) is marked when it is.
    /// </summary>
    private void OnLocationChanged(object? sender, LocationChangedEventArgs e) =>
        // On the renderer's dispatcher, as the first render's loading of the module: one of the two marks it.
        _ = InvokeAsync(async () =>
        {
            navigated = true;
            navigatedArea = Navigation.CurrentArea("/" + NavigationManager.ToBaseRelativePath(e.Location).Split('?', '#')[0]);
            if (browser is not null)
            {
                await MarkNavigatedAreaAsync();
            }
        });

    private async Task MarkNavigatedAreaAsync()
    {
        try
        {
            await browser!.InvokeVoidAsync("markCurrentArea", navigatedArea);
        }
        catch (JSDisconnectedException)
        {
            // The tab is gone; so is its drawer.
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        browser = await JS.InvokeAsync<IJSObjectReference>("import", "./js/browser.js");
        viewerReference = DotNetObjectReference.Create(Viewer);
        await browser.InvokeVoidAsync("watchVisibility", viewerReference);
        if (navigated)
        {
            await MarkNavigatedAreaAsync();
        }
        // Re-rendered (every LocalTime of the page) only when the browser's zone is not the remembered one. A remembered
        // zone stays for this page (the browser checks it when idle, for the next one): a traveller's next page is right.
        var zone = await browser.InvokeAsync<string?>("timeZone", RememberedTimeZone);
        if (zone is not null && zone != viewerTimeZone.Id && TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var found))
        {
            viewerTimeZone = found;
            StateHasChanged();
        }
    }

    public async ValueTask DisposeAsync()
    {
        NavigationManager.LocationChanged -= OnLocationChanged;
        viewerReference?.Dispose();
        if (browser is not null)
        {
            try
            {
                await browser.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is already gone; the browser released the module with it.
            }
        }
    }
}
