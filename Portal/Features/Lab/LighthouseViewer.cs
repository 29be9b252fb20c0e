using System.Text;

namespace Portal.Features.Lab;

/// <summary>
/// A stored Lighthouse report in Lighthouse's own viewer: its standalone HTML report (the template and renderer of the
/// pinned npm <c>lighthouse</c>, copied into <c>wwwroot/lib/lighthouse</c> by the build) with the report's JSON inline,
/// escaped as Lighthouse's own report generator escapes it. Served under <see cref="Auth.SecurityHeaders.LabReportPolicy"/>.
/// </summary>
public sealed class LighthouseViewer(IWebHostEnvironment environment)
{
    private readonly Lazy<(string Template, string Script)?> assets = new(() =>
    {
        var files = environment.WebRootFileProvider;
        var template = files.GetFileInfo("lib/lighthouse/standalone-template.html");
        var script = files.GetFileInfo("lib/lighthouse/standalone.js");
        return template.Exists && script.Exists ? (Read(template), Read(script)) : null;
    });

    private static string Read(Microsoft.Extensions.FileProviders.IFileInfo file)
    {
        using var reader = new StreamReader(file.CreateReadStream(), Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>The report page, or null when the viewer's files are not in the web root.</summary>
    public string? Html(string reportJson)
    {
        if (assets.Value is not var (template, script))
        {
            return null;
        }
        // As lighthouse/report/generator: '<' escaped in the JSON and '</' in the script, so neither closes its <script>;
        // each placeholder replaced once, in the template only (a report holding the other placeholder stays text).
        var json = reportJson.Replace("<", "\\u003c", StringComparison.Ordinal).Replace("\u2028", "\\u2028", StringComparison.Ordinal).Replace("\u2029", "\\u2029", StringComparison.Ordinal);
        var code = script.Replace("</", "\\u003c/", StringComparison.Ordinal);
        return string.Join(json, template.Split("%%LIGHTHOUSE_JSON%%").Select(part => part.Replace("%%LIGHTHOUSE_JAVASCRIPT%%", code, StringComparison.Ordinal)));
    }
}
