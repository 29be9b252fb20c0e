using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.JSInterop;

namespace Portal.Components.Live;

/// <summary>
/// The browser tab behind one circuit (a scoped service): whether its connection is up and whether the tab is
/// visible. Live feeds deliver only to active viewers and poll only for them.
/// </summary>
public sealed class LiveViewer
{
    private bool connected = true;
    private bool visible = true;

    public bool Active => InCircuit && connected && visible;

    /// <summary>True once a circuit opened for this scope: false while prerendering (a plain HTTP request).</summary>
    public bool InCircuit { get; set; }

    public event Action? ActiveChanged;

    public bool Connected
    {
        get => connected;
        set => Set(ref connected, value);
    }

    /// <summary>Called by the page's script on <c>visibilitychange</c> (document.visibilityState).</summary>
    [JSInvokable]
    public void SetVisible(bool value) => Set(ref visible, value);

    private void Set(ref bool field, bool value)
    {
        if (field == value)
        {
            return;
        }
        field = value;
        ActiveChanged?.Invoke();
    }
}

/// <summary>Tells the circuit's <see cref="LiveViewer"/> when its connection drops and returns.</summary>
public sealed class LiveViewerCircuitHandler(LiveViewer viewer) : CircuitHandler
{
    // Runs before the circuit renders its first component.
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        viewer.InCircuit = true;
        return Task.CompletedTask;
    }

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        viewer.Connected = false;
        return Task.CompletedTask;
    }

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        viewer.Connected = true;
        return Task.CompletedTask;
    }
}

public static class LiveServiceCollectionExtensions
{
    public static IServiceCollection AddLiveFeeds(this IServiceCollection services)
    {
        services.AddSingleton<LiveFeeds>();
        services.AddScoped<LiveViewer>();
        services.AddScoped<CircuitHandler, LiveViewerCircuitHandler>();
        return services;
    }
}
