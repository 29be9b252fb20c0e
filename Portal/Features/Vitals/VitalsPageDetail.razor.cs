using Microsoft.AspNetCore.Components;
using Portal.Components;

namespace Portal.Features.Vitals;

public sealed partial class VitalsPageDetail : RangedPage
{
    [Inject]
    public required VitalsStore Store { get; init; }

    [SupplyParameterFromQuery(Name = "app")]
    public string? AppId { get; set; }

    [SupplyParameterFromQuery(Name = "path")]
    public string? Path { get; set; }

    [SupplyParameterFromQuery(Name = "metric")]
    public string? Metric { get; set; }

    private PageDetail? detail;
    private PageDiagnostics? diagnostics;
    private string? diagnosticsProblem;

    private VitalsMetric Definition => VitalsMetric.Find(Metric) ?? VitalsMetric.All[0];


    // FCP and TTFB name no element.
    private string? TargetsTitle => Definition.Name switch
    {
        "LCP" => "Most frequent LCP elements",
        "INP" => "Most frequent slow interactions' targets",
        "CLS" => "Most frequent largest shift targets",
        _ => null,
    };

    protected override async Task OnParametersSetAsync()
    {
        Metric = Definition.Name;
        // Side by side, on two connections; the page shows the distribution and the tables as soon as they are read, as
        // before the diagnostics, and the diagnostics when theirs is (it reads three metrics' events: it takes longer).
        (diagnostics, diagnosticsProblem) = (null, null);
        var diagnosing = Store.DiagnosticsAsync(AppId ?? VitalsApps.PortalApp, Path ?? "/", Window.From, Window.To);
        detail = await Store.PageDetailAsync(AppId ?? VitalsApps.PortalApp, Path ?? "/", Definition.Name, Window.From, Window.To);
        StateHasChanged();
        try
        {
            diagnostics = await diagnosing;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            // The diagnostics read every LCP, INP and TTFB event of the page: a read that fails or times out costs its
            // panel, not the page the distribution and tables already show.
            diagnosticsProblem = $"Could not read why this page is slow: {ex.Message}. A shorter window reads fewer events.";
        }
    }

    protected override IReadOnlyDictionary<string, string?> Filters => new Dictionary<string, string?> { ["app"] = AppId, ["path"] = Path, ["metric"] = Metric };
}
