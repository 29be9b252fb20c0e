using Portal.Features.Scorecards;

namespace Portal.Features.Reports;

/// <summary>
/// The report's judgements, pure so that each can be worked by hand: the overall health by a stated rule, the score
/// 0–100, the ranking of opportunities and the largest movements.
/// </summary>
public static class ReportScoring
{
    public const int TopOpportunities = 10;
    public const int TopMovements = 5;

    public const string HealthRule =
        "Critical when a P0 or P1 objective is breached or two key metrics miss their targets; Needs improvement when one key metric "
        + "misses its target or any objective is breached or at risk; Good otherwise — No data when no key metric and no objective had any.";

    public const string ScoreFormula =
        "The mean of one score per key metric and objective with data: a met target scores 100; a missed one scores target ÷ value "
        + "(or value ÷ target when higher is better) × 100; an objective at risk scores 50, a breached one 0.";

    public static (string Health, string Reason) Health(IReadOnlyList<KeyMetric> metrics, IReadOnlyList<ObjectiveLine> objectives)
    {
        if (metrics.All(metric => metric.Current is null) && objectives.All(objective => objective.Status == nameof(ObjectiveStatus.NoData)))
        {
            return (ReportHealth.NoData, "no source had data for the period: nothing can be judged");
        }
        var missed = metrics.Where(metric => metric.Status == MetricStatus.NotMet).Select(metric => metric.Name).ToList();
        var breachedKey = objectives.Where(objective => objective.Status == nameof(ObjectiveStatus.Breached) && objective.Priority is "P0" or "P1").Select(objective => objective.Title).ToList();
        var troubled = objectives.Where(objective => objective.Status is nameof(ObjectiveStatus.Breached) or nameof(ObjectiveStatus.AtRisk)).Select(objective => objective.Title).ToList();
        if (breachedKey.Count > 0 || missed.Count >= 2)
        {
            return (ReportHealth.Critical, breachedKey.Count > 0 ? $"breached: {string.Join(", ", breachedKey)}" : $"missed targets: {string.Join(", ", missed)}");
        }
        if (missed.Count == 1 || troubled.Count > 0)
        {
            return (ReportHealth.NeedsImprovement, string.Join("; ", missed.Select(name => $"missed target: {name}").Concat(troubled.Select(title => $"objective not met: {title}"))));
        }
        return (ReportHealth.Good, "every key metric met its target and no objective is at risk");
    }

    public static (double? Score, IReadOnlyList<ScorePart> Parts) Score(IReadOnlyList<KeyMetric> metrics, IReadOnlyList<ObjectiveLine> objectives)
    {
        var parts = new List<ScorePart>();
        foreach (var metric in metrics.Where(metric => metric.Current is not null))
        {
            var value = metric.Current!.Value;
            var points = metric.Status == MetricStatus.Met ? 100
                : metric.LowerIsBetter ? (value <= 0 ? 0 : 100 * metric.Target / value)
                : (metric.Target <= 0 ? 0 : 100 * value / metric.Target);
            parts.Add(new ScorePart(metric.Name, Math.Clamp(points, 0, 100)));
        }
        foreach (var objective in objectives)
        {
            double? points = objective.Status switch
            {
                nameof(ObjectiveStatus.Met) => 100,
                nameof(ObjectiveStatus.AtRisk) => 50,
                nameof(ObjectiveStatus.Breached) => 0,
                _ => null,
            };
            if (points is { } scored)
            {
                parts.Add(new ScorePart(objective.Title, scored));
            }
        }
        return (parts.Count == 0 ? null : Math.Round(parts.Average(part => part.Points), 1), parts);
    }

    public const string PriorityRule =
        "High when an opportunity's estimated impact is at least a fifth of all the listed opportunities' together, Medium from a twentieth, Low below; "
        + "the roadmap takes High now, Medium next, Low later.";

    /// <summary>The largest first; ties by title, so that the ranking is stable; each with its priority (<see cref="PriorityRule"/>).</summary>
    public static IReadOnlyList<Opportunity> Rank(IEnumerable<Opportunity> opportunities)
    {
        var ranked = opportunities.Where(opportunity => opportunity.ImpactMs > 0).OrderByDescending(opportunity => opportunity.ImpactMs)
            .ThenBy(opportunity => opportunity.Title, StringComparer.Ordinal).Take(TopOpportunities).ToList();
        var total = ranked.Sum(opportunity => opportunity.ImpactMs);
        return ranked.Select(opportunity => opportunity with
        {
            Priority = opportunity.ImpactMs >= total / 5 ? OpportunityPriorities.High : opportunity.ImpactMs >= total / 20 ? OpportunityPriorities.Medium : OpportunityPriorities.Low,
        }).ToList();
    }

    public static (IReadOnlyList<Movement> Regressions, IReadOnlyList<Movement> Improvements) Movements(IEnumerable<Movement> movements)
    {
        var moved = movements.Where(movement => movement.Before != movement.After && movement.Before != 0).ToList();
        return (Largest(moved.Where(movement => movement.Worse)), Largest(moved.Where(movement => !movement.Worse)));
    }

    private static List<Movement> Largest(IEnumerable<Movement> movements) =>
        movements.OrderByDescending(movement => Math.Abs(movement.Relative)).ThenBy(movement => movement.What, StringComparer.Ordinal).Take(TopMovements).ToList();
}
