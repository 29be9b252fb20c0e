using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Components;

namespace Portal.Features.Queries;

public sealed partial class IndexHealthPage
{
    [Inject]
    public required QueryTargets Targets { get; init; }

    [Inject]
    public required IndexHealth Health { get; init; }

    [Inject]
    public required MaintenanceRisks Maintenance { get; init; }

    [Inject]
    public required IOptions<QueryOptions> Options { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [SupplyParameterFromQuery(Name = "target")]
    public string? Target { get; set; }

    private IndexHealthReport? report;
    private string? error;
    private MaintenanceRiskReport? risks;
    private string? risksError;

    /// <summary>
    /// Every risk at a warning or above, and of each kind with none, the closest to its limit (a cluster has a sequence
    /// per table: listing them all would bury the ones that matter).
    /// </summary>
    private IEnumerable<MaintenanceRisk> ShownRisks => risks is null ? [] : risks.Risks.Where(risk => risk.Status != RiskStatuses.Ok)
        .Concat(RiskKinds.All.Where(kind => risks.Risks.All(risk => risk.Kind != kind || risk.Status == RiskStatuses.Ok))
            .Select(kind => risks.Risks.Where(risk => risk.Kind == kind).MaxBy(risk => risk.Share)).OfType<MaintenanceRisk>());

    private int RiskCount => risks?.Risks.Count(risk => risk.Status != RiskStatuses.Ok) ?? 0;

    private static MudBlazor.Color RiskColor(string status) => status switch
    {
        RiskStatuses.Critical => MudBlazor.Color.Error,
        RiskStatuses.Warning => MudBlazor.Color.Warning,
        _ => MudBlazor.Color.Success,
    };


    private string SinceText => report?.StatisticsSince is { } since ? $" (counted since {since.UtcDateTime:yyyy-MM-dd HH:mm} UTC)" : "";

    private string TargetName => Targets.Find(Target)?.Name ?? QueryOptions.PortalTarget;

    protected override async Task OnParametersSetAsync()
    {
        report = null;
        error = null;
        risks = null;
        risksError = null;
        try
        {
            report = await Health.ReadAsync(TargetName);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            error = $"Target {TargetName} could not be read: {ex.Message}";
            return;
        }
        try
        {
            risks = await Maintenance.ReadAsync(TargetName);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            risksError = $"The maintenance risks of {TargetName} could not be read: {ex.Message}";
        }
    }

    private void TargetChanged(string target) => Navigation.ReplaceQuery(new Dictionary<string, string?> { ["target"] = Target }, ("target", target));
}
