namespace Portal.Features.Scorecards;

/// <summary>
/// <c>./portal slas check FILE</c>: the catalogue checked as the running portal checks it (<see cref="SlaCatalogueCheck"/>:
/// its query targets, Web Vitals apps and Prometheus, from the portal's configuration); exit code 1 when it has errors
/// or warnings — a name the portal does not know, PromQL Prometheus cannot parse or answers with nothing.
/// </summary>
public static class SlaCheckCommand
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
        var (catalogue, errors, notChecked) = services is not null
            ? await services.GetRequiredService<SlaCatalogueCheck>().ReadAsync(file, yaml)
            : FileOnly(file, yaml);
        foreach (var error in errors)
        {
            await output.WriteLineAsync(error.ToString());
        }
        foreach (var what in notChecked)
        {
            await output.WriteLineAsync($"{file}: not checked: {what}");
        }
        if (catalogue is null)
        {
            return 1;
        }
        var objectives = catalogue.Services.Count();
        var summary = $"{file}: {catalogue.Objectives.Count} objectives of {objectives} service{(objectives == 1 ? "" : "s")}";
        if (errors.Count > 0)
        {
            await output.WriteLineAsync($"{summary}, with {errors.Count} warning{(errors.Count == 1 ? "" : "s")}: the portal would load it, and these SLIs would have no data.");
            return 1;
        }
        await output.WriteLineAsync($"{summary}, valid{(notChecked.Count > 0 ? " as far as checked" : "")}.");
        return 0;
    }

    private static SlaCheckResult FileOnly(string file, string yaml)
    {
        var reader = new SlaCatalogueReader(file);
        var (catalogue, errors) = reader.Read(yaml);
        var brackets = reader.PromQl
            .Select(expression => SlaCatalogueCheck.UnbalancedBracket(expression.Query) is { } problem ? new SlaError(expression.Location, $"{expression.What}: {problem}") : null)
            .OfType<SlaError>().ToList();
        return new SlaCheckResult(brackets.Count > 0 ? null : catalogue, [.. errors.Concat(brackets).OrderBy(error => error.Location.Line).ThenBy(error => error.Location.Column)],
            ["no portal configuration (ConnectionStrings__Portal): query targets, Web Vitals apps and Prometheus are not checked, PromQL only for its brackets; run ./portal up first, or set the portal's settings"]);
    }
}
