using Microsoft.AspNetCore.Components;

namespace Portal.Components;

/// <summary>
/// A page whose address carries a time range (<c>range</c>, <c>from</c>, <c>to</c>) beside its own filters, so that
/// any view can be linked: the range, and the one way every filter change is written back to the address.
/// </summary>
public abstract class RangedPage : ComponentBase
{
    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [SupplyParameterFromQuery(Name = "range")]
    public string? RangeKey { get; set; }

    [SupplyParameterFromQuery(Name = "from")]
    public string? From { get; set; }

    [SupplyParameterFromQuery(Name = "to")]
    public string? To { get; set; }

    private TimeRange? window;

    /// <summary>
    /// The page's window, read from the clock once per render of its parameters: its From and To belong to the same
    /// instant (read apart, "the last 24 h" spanned a day and some milliseconds, which sent the Web Vitals page to
    /// daily rollups that do not exist yet).
    /// </summary>
    protected TimeRange Window => window ??= TimeRange.Parse(RangeKey, From, To, Time.GetUtcNow(), fallback: DefaultRange);

    /// <summary>The range without one in the address: the last day, unless the page's data comes less often (a daily audit).</summary>
    protected virtual string DefaultRange => "24h";

    public override Task SetParametersAsync(ParameterView parameters)
    {
        window = null; // new range, or the same range asked again: read the clock afresh
        return base.SetParametersAsync(parameters);
    }

    /// <summary>The page's own filters as the address holds them (kept when one of them or the range changes).</summary>
    protected abstract IReadOnlyDictionary<string, string?> Filters { get; }

    protected Task RangeChanged(TimeRange range)
    {
        var (key, from, to) = range.ToQuery();
        Apply(("range", key), ("from", from), ("to", to));
        return Task.CompletedTask;
    }

    protected void Apply(params (string Name, string? Value)[] changes) => Navigation.ReplaceQuery(
        new Dictionary<string, string?>(Filters) { ["range"] = RangeKey, ["from"] = From, ["to"] = To }, changes);
}
