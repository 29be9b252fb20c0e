using Microsoft.AspNetCore.Components;
using Portal.Components;

namespace Portal.Features.Vitals;

public sealed partial class VitalsPageDetail
{
    [Inject]
    public required VitalsStore Store { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [SupplyParameterFromQuery(Name = "app")]
    public string? AppId { get; set; }

    [SupplyParameterFromQuery(Name = "path")]
    public string? Path { get; set; }

    [SupplyParameterFromQuery(Name = "metric")]
    public string? Metric { get; set; }

    [SupplyParameterFromQuery(Name = "range")]
    public string? RangeKey { get; set; }

    [SupplyParameterFromQuery(Name = "from")]
    public string? From { get; set; }

    [SupplyParameterFromQuery(Name = "to")]
    public string? To { get; set; }

    private PageDetail? detail;

    private VitalsMetric Definition => VitalsMetric.Find(Metric) ?? VitalsMetric.All[0];

    private TimeRange Window => TimeRange.Parse(RangeKey, From, To, Time.GetUtcNow(), fallback: "24h");

    private string TargetsTitle => Definition.Name switch
    {
        "LCP" => "Most frequent LCP elements",
        "INP" => "Most frequent slow interactions' targets",
        "CLS" => "Most frequent largest shift targets",
        _ => "Attribution",
    };

    protected override async Task OnParametersSetAsync()
    {
        Metric = Definition.Name;
        detail = await Store.PageDetailAsync(AppId ?? VitalsApps.PortalApp, Path ?? "/", Definition.Name, Window.From, Window.To);
    }

    private Task RangeChanged(TimeRange range)
    {
        var (key, from, to) = range.ToQuery();
        Apply(("range", key), ("from", from), ("to", to));
        return Task.CompletedTask;
    }

    private void Apply(params (string Name, string? Value)[] changes) => Navigation.ReplaceQuery(new Dictionary<string, string?>
    {
        ["app"] = AppId, ["path"] = Path, ["metric"] = Metric, ["range"] = RangeKey, ["from"] = From, ["to"] = To,
    }, changes);
}
