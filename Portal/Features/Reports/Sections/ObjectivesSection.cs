using Portal.Components;
using Portal.Features.Scorecards;

namespace Portal.Features.Reports.Sections;

/// <summary>The SLA objectives in scope as their scorecards stood at the period's end, and those breached or at risk as findings.</summary>
internal sealed class ObjectivesSection(SlaCatalogueSource catalogue, SliSampleStore samples) : IReportSection
{
    public IEnumerable<ReportRead> Reads(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        yield return new("SLA objectives", async () =>
        {
            var objectives = await ObjectivesAsync(scope, period, cancellationToken);
            draft.Objectives.AddRange(objectives);
            draft.Findings.AddRange(objectives.Where(objective => objective.Status is nameof(ObjectiveStatus.Breached) or nameof(ObjectiveStatus.AtRisk))
                .Select(objective => new Finding("objective", $"{objective.Title} ({objective.Service}) is {(objective.Status == nameof(ObjectiveStatus.Breached) ? "breached" : "at risk")}",
                    $"{objective.Figure} {Figures.Format(objective.Value, objective.Unit)} against {Figures.Format(objective.Target, objective.Unit)}; error budget {(objective.BudgetRemaining is { } left ? $"{left:P0} left" : "spent")}",
                    PortalLinks.Objective(objective.Id))));
        });
    }

    // The objectives in scope as their scorecards stood at the end of the period, each over its own window.
    private async Task<IReadOnlyList<ObjectiveLine>> ObjectivesAsync(ReportScope scope, ReportPeriod period, CancellationToken cancellationToken)
    {
        if (catalogue.Current is not { } current)
        {
            return [];
        }
        var objectives = current.Objectives.Where(objective => scope.Services.Count == 0 || scope.Services.Contains(objective.Service)).ToList();
        if (objectives.Count == 0)
        {
            return [];
        }
        var windows = objectives.ToDictionary(objective => objective.Id, objective => Scorecards.Scorecards.WindowOf(objective.Window, period.End));
        var read = await samples.ReadAsync(windows.Keys, windows.Values.Min(window => window.PreviousStart), period.End, cancellationToken);
        var states = await samples.StatesAsync(cancellationToken);
        return objectives.Select(objective =>
        {
            var score = Scorecards.Scorecards.Score(objective, windows[objective.Id], read[objective.Id], states.GetValueOrDefault(objective.Id), period.End);
            return new ObjectiveLine(objective.Id, objective.Service, objective.Title, objective.Priority, score.Figure.Name, score.Figure.Unit, score.Value,
                score.Figure.Target, score.Figure.LowerIsBetter, score.Status.ToString(), score.Budget.Remaining);
        }).OrderByDescending(line => line.Status == nameof(ObjectiveStatus.Breached)).ThenBy(line => line.Priority, StringComparer.Ordinal).ToList();
    }
}
