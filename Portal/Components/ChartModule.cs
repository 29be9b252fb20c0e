using Microsoft.JSInterop;

namespace Portal.Components;

/// <summary>The pages' chart module (<c>wwwroot/js/timeseries.js</c>), imported once per page and let go with it.</summary>
public static class ChartModule
{
    public static ValueTask<IJSObjectReference> ImportAsync(IJSRuntime js) => js.InvokeAsync<IJSObjectReference>("import", "./js/timeseries.js");

    /// <summary>Lets go of the module; a circuit already gone has taken its charts with it.</summary>
    public static async ValueTask DisposeAsync(IJSObjectReference? module)
    {
        if (module is null)
        {
            return;
        }
        try
        {
            await module.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The circuit is gone with its charts.
        }
    }
}
