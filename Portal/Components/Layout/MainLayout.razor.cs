using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.JSInterop;
using MudBlazor;

namespace Portal.Components.Layout;

public sealed partial class MainLayout : IAsyncDisposable
{
    [Inject]
    public required IJSRuntime JS { get; init; }

    [Inject]
    public required Live.LiveViewer Viewer { get; init; }

    [Inject]
    public required NavigationManager NavigationManager { get; init; }

    /// <summary>The browser's remembered choice, read from its cookie during the first render.</summary>
    [CascadingParameter(Name = "DarkMode")]
    public bool? RememberedDarkMode { get; set; }

    /// <summary>The browser's time zone as remembered in its cookie, read during the first render.</summary>
    [CascadingParameter(Name = "RememberedTimeZone")]
    public string? RememberedTimeZone { get; set; }

    private MudThemeProvider? themeProvider;
    private IJSObjectReference? browser;
    private DotNetObjectReference<Live.LiveViewer>? viewerReference;
    private bool drawerOpen = true;
    private bool darkMode;
    private TimeZoneInfo viewerTimeZone = TimeZoneInfo.Utc;

    protected override void OnInitialized()
    {
        darkMode = RememberedDarkMode ?? false;
        if (RememberedTimeZone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(RememberedTimeZone, out var remembered))
        {
            viewerTimeZone = remembered;
        }
        NavigationManager.LocationChanged += OnLocationChanged;
    }

    private void OnLocationChanged(object? sender, LocationChangedEventArgs e) => InvokeAsync(StateHasChanged);

    /// <summary>Whether a drawer link leads to the current page's area: "/" only itself, the others their whole path.</summary>
    private bool IsCurrent(string href)
    {
        var path = "/" + NavigationManager.ToBaseRelativePath(NavigationManager.Uri).Split('?', '#')[0];
        return href == "/" ? path == "/" : path == href || path.StartsWith(href + "/", StringComparison.Ordinal);
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
        var changed = false;
        if (RememberedDarkMode is null && themeProvider is not null)
        {
            darkMode = await themeProvider.GetSystemDarkModeAsync();
            changed = darkMode;
        }

        // Re-rendered (every LocalTime of the page) only when the browser's zone is not the remembered one. A remembered
        // zone stays for this page (the browser checks it when idle, for the next one): a traveller's next page is right.
        var zone = await browser.InvokeAsync<string?>("timeZone", RememberedTimeZone);
        if (zone is not null && zone != viewerTimeZone.Id && TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var found))
        {
            viewerTimeZone = found;
            changed = true;
        }
        if (changed)
        {
            StateHasChanged();
        }
    }

    private async Task ToggleThemeAsync()
    {
        darkMode = !darkMode;
        if (browser is not null)
        {
            await browser.InvokeVoidAsync("rememberTheme", darkMode);
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
