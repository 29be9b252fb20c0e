using Portal.Features.Scorecards;

namespace Portal.Features.Alerts;

/// <summary>
/// <c>alerts.yaml</c> checked as <c>./portal slas check</c> checks the SLA catalogue: the rules as the running portal
/// reads them (against the SLA catalogue in force and the destinations configured), the query targets and Web
/// Vitals apps they name, and their PromQL parsed by Prometheus.
/// </summary>
public sealed class AlertRulesCheck(SlaCatalogueCheck check, SlaCatalogueSource catalogue, NotificationDestinations destinations)
{
    public async Task<(AlertRuleSet? Rules, IReadOnlyList<SlaError> Errors, IReadOnlyList<string> NotChecked)> ReadAsync(string path, string yaml, CancellationToken cancellationToken = default)
    {
        var notChecked = new List<string>();
        var known = await check.KnowledgeAsync(notChecked, cancellationToken: cancellationToken);
        // The catalogue the rules' `sli` sources name: the one in force, or the configured file when nothing runs.
        var objectives = catalogue.Current;
        if (objectives is null && File.Exists(catalogue.Path))
        {
            objectives = (await check.ReadAsync(catalogue.Path, await File.ReadAllTextAsync(catalogue.Path, cancellationToken), cancellationToken: cancellationToken)).Catalogue;
        }
        if (objectives is null)
        {
            notChecked.Add($"no valid SLA catalogue at {catalogue.Path}: the objectives of `sli` rules are not checked");
        }
        var reader = new AlertRulesReader(path, objectives, [.. destinations.All().Select(destination => destination.Name)], known);
        var (rules, errors) = reader.Read(yaml);
        var found = await check.WithPromQlAsync(errors, reader.PromQl, known, cancellationToken);
        return (found.Any(error => error.Blocking) ? null : rules, found, notChecked);
    }
}
