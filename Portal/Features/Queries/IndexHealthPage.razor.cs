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
    public required IOptions<QueryOptions> Options { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [SupplyParameterFromQuery(Name = "target")]
    public string? Target { get; set; }

    private IndexHealthReport? report;
    private string? error;

    private string SinceText => report?.StatisticsSince is { } since ? $" (counted since {since.UtcDateTime:yyyy-MM-dd HH:mm} UTC)" : "";

    private string TargetName => Targets.Find(Target)?.Name ?? QueryOptions.PortalTarget;

    protected override async Task OnParametersSetAsync()
    {
        report = null;
        error = null;
        try
        {
            report = await Health.ReadAsync(TargetName);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            error = $"Target {TargetName} could not be read: {ex.Message}";
        }
    }

    private void TargetChanged(string target) => Navigation.ReplaceQuery(new Dictionary<string, string?> { ["target"] = Target }, ("target", target));
}
