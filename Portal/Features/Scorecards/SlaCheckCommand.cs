namespace Portal.Features.Scorecards;

/// <summary><c>./portal slas check FILE</c>: the catalogue's validation from the shell; exit code 1 when it has errors.</summary>
public static class SlaCheckCommand
{
    public static async Task<int> RunAsync(string file, TextWriter output)
    {
        if (!File.Exists(file))
        {
            await output.WriteLineAsync($"{file}: no such file");
            return 1;
        }
        var (catalogue, errors) = new SlaCatalogueReader(file).Read(await File.ReadAllTextAsync(file));
        foreach (var error in errors)
        {
            await output.WriteLineAsync(error.ToString());
        }
        if (catalogue is null)
        {
            return 1;
        }
        var services = catalogue.Services.Count();
        await output.WriteLineAsync($"{file}: {catalogue.Objectives.Count} objectives of {services} service{(services == 1 ? "" : "s")}, valid.");
        return 0;
    }
}
