using System.Text.RegularExpressions;
using Portal.Features.Alerts;

namespace Portal.Features.Scorecards;

/// <summary>
/// <c>./portal slas check FILE</c>: an SLA catalogue (<c>slas.yaml</c>) or alert rules (<c>alerts.yaml</c>, told by their
/// top-level <c>rules</c>) checked as the running portal checks them — its query targets, Web Vitals apps, SLA
/// catalogue, Slack destinations and Prometheus, from its configuration (<see cref="SlaCatalogueCheck"/>,
/// <see cref="AlertRulesCheck"/>); exit code 1 when the file has errors or warnings: a name the portal does not know,
/// PromQL that Prometheus cannot parse or answers with nothing.
/// </summary>
public static partial class SlaCheckCommand
{
    /// <param name="services">The portal's services; null without its configuration (the file alone is checked, and the output says what was not).</param>
    public static async Task<int> RunAsync(IServiceProvider? services, string file, TextWriter output)
    {
        if (!File.Exists(file))
        {
            await output.WriteLineAsync($"{file}: no such file");
            return 1;
        }
        var yaml = await File.ReadAllTextAsync(file);
        var alerts = AlertRulesFile().IsMatch(yaml);
        var (valid, summary, errors, notChecked) = (alerts, services) switch
        {
            (true, not null) => Summarise(await services.GetRequiredService<AlertRulesCheck>().ReadAsync(file, yaml)),
            (false, not null) => Summarise(await services.GetRequiredService<SlaCatalogueCheck>().ReadAsync(file, yaml)),
            (true, null) => FileOnly(new AlertRulesReader(file), reader => reader.Read(yaml).Rules is { } rules ? $"{rules.Rules.Count} rule{(rules.Rules.Count == 1 ? "" : "s")}" : null),
            (false, null) => FileOnly(new SlaCatalogueReader(file), reader => reader.Read(yaml).Catalogue is { } catalogue ? Objectives(catalogue) : null),
        };
        foreach (var error in errors)
        {
            await output.WriteLineAsync(error.ToString());
        }
        foreach (var what in notChecked)
        {
            await output.WriteLineAsync($"{file}: not checked: {what}");
        }
        if (!valid)
        {
            return 1;
        }
        if (errors.Count > 0)
        {
            await output.WriteLineAsync($"{file}: {summary}, with {errors.Count} warning{(errors.Count == 1 ? "" : "s")}: the portal would load it, and what they name would have no data.");
            return 1;
        }
        await output.WriteLineAsync($"{file}: {summary}, valid{(notChecked.Count > 0 ? " as far as checked" : "")}.");
        return 0;
    }

    private static (bool Valid, string Summary, IReadOnlyList<SlaError> Errors, IReadOnlyList<string> NotChecked) Summarise(SlaCheckResult result) =>
        (result.Catalogue is not null, result.Catalogue is { } catalogue ? Objectives(catalogue) : "", result.Errors, result.NotChecked);

    private static (bool Valid, string Summary, IReadOnlyList<SlaError> Errors, IReadOnlyList<string> NotChecked) Summarise(
        (AlertRuleSet? Rules, IReadOnlyList<SlaError> Errors, IReadOnlyList<string> NotChecked) result) =>
        (result.Rules is not null, result.Rules is { } rules ? $"{rules.Rules.Count} rule{(rules.Rules.Count == 1 ? "" : "s")}" : "", result.Errors, result.NotChecked);

    private static string Objectives(SlaCatalogue catalogue)
    {
        var services = catalogue.Services.Count();
        return $"{catalogue.Objectives.Count} objectives of {services} service{(services == 1 ? "" : "s")}";
    }

    // Without the portal: the file as its reader sees it, and PromQL's brackets.
    private static (bool Valid, string Summary, IReadOnlyList<SlaError> Errors, IReadOnlyList<string> NotChecked) FileOnly<TReader>(TReader reader, Func<TReader, string?> read)
        where TReader : YamlFileReader
    {
        var summary = read(reader);
        var errors = reader.Findings.Concat(reader.PromQl
                .Select(expression => SlaCatalogueCheck.UnbalancedBracket(expression.Query) is { } problem ? new SlaError(expression.Location, $"{expression.What}: {problem}") : null)
                .OfType<SlaError>())
            .OrderBy(error => error.Location.Line).ThenBy(error => error.Location.Column).ToList();
        return (summary is not null && errors.All(error => !error.Blocking), summary ?? "", errors,
            ["no portal configuration (ConnectionStrings__Portal): query targets, Web Vitals apps, the SLA catalogue, Slack destinations and Prometheus are not checked, PromQL only for its brackets; run ./portal up first, or set the portal's settings"]);
    }

    [GeneratedRegex(@"^rules\s*:", RegexOptions.Multiline)]
    private static partial Regex AlertRulesFile();
}
