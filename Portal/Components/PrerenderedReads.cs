using System.Text.Json;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace Portal.Components;

/// <summary>
/// Carries a page's reads from its prerendering into its circuit (<see cref="PersistentComponentState"/>), so that the
/// circuit's first render is the page the browser already shows instead of a loading state (the Web Vitals page
/// rendered "No such app" until its reads returned, and the browser built the page twice) — when they are small.
/// The browser sends them back to start the circuit in one SignalR message, which the hub takes up to
/// <see cref="PrerenderedReads.MaxCircuitStartBytes"/>: above it the circuit does not start at all. Reads larger than
/// <see cref="PrerenderedReads.MaxBytes"/> of JSON stay on the server, and the circuit reads again.
/// </summary>
public sealed class PrerenderedReads<T>(PersistentComponentState state, string key) : IDisposable where T : class
{
    private PersistingComponentStateSubscription subscription;
    private T? kept;

    /// <summary>The prerendering's reads, in the circuit's first parameter set; false elsewhere and after.</summary>
    public bool TryTake(out T? value) => state.TryTakeFromJson(key, out value) && value is not null;

    /// <summary>Keeps <paramref name="value"/> for the circuit, when the page is prerendering and it is small enough.</summary>
    public void Keep(T value)
    {
        if (kept is null)
        {
            subscription = state.RegisterOnPersisting(Persist, RenderMode.InteractiveServer);
        }
        kept = value;
    }

    private Task Persist()
    {
        if (kept is not null && JsonSerializer.SerializeToUtf8Bytes(kept).Length <= PrerenderedReads.MaxBytes)
        {
            state.PersistAsJson(key, kept);
        }
        return Task.CompletedTask;
    }

    public void Dispose() => subscription.Dispose();
}

/// <summary>The limits of <see cref="PrerenderedReads{T}"/>.</summary>
public static class PrerenderedReads
{
    /// <summary>JSON bytes carried at most per page: encrypted and in base64 about 1.4 times that.</summary>
    public const int MaxBytes = 24 * 1024;

    /// <summary>The hub's limit of a message from the browser (SignalR's default is 32 KB): the carried reads, the components' descriptors, room to spare.</summary>
    public const int MaxCircuitStartBytes = 64 * 1024;
}
