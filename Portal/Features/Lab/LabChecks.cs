using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Portal.Features.Jobs;
using Portal.Features.Scorecards;

namespace Portal.Features.Lab;

/// <summary>
/// The lab-checks job's work: real Lighthouse (<c>tools/browser/audit.mjs</c>, Debian's Chromium) on every page of
/// every service's <c>lab:</c> in the SLA catalogue, in each of its profiles, signed in first where the service has a
/// sign-in script. Each result is read from the JSON Lighthouse wrote, through the same reader as CI's uploads, and
/// stored with its full report. A service that cannot be audited does not stop the others; the run fails at the end,
/// naming it.
/// </summary>
public sealed class LabChecks(
    SlaCatalogueSource catalogue, LabResults results, IOptions<LabOptions> options, IConfiguration configuration, TimeProvider time, ILogger<LabChecks> logger)
{
    public sealed record Outcome(int Audited, IReadOnlyList<string> Failures, string Summary);

    public async Task<Outcome> RunAsync(IJobProgress progress, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var targets = catalogue.Current?.Lab ?? [];
        if (targets.Count == 0)
        {
            return new Outcome(0, [], $"no critical pages: add `lab:` with `pages` to a service of {catalogue.Path}");
        }
        if (settings.ToolsPath is not { Length: > 0 } tools)
        {
            return new Outcome(0, [], "Lab:ToolsPath is not set (no browser here): Lighthouse results come from CI, POST /api/v1/lab/lighthouse");
        }
        var script = Path.Combine(tools, "audit.mjs");
        if (!File.Exists(script))
        {
            return new Outcome(0, [$"{script} does not exist: Lab:ToolsPath is the checkout's tools/browser (npm ci there)"], "");
        }

        var runs = targets.SelectMany(target => target.Profiles.Select(profile => (Target: target, Profile: profile))).ToList();
        var failures = new List<string>();
        var audited = 0;
        var scores = new List<string>();
        foreach (var (run, index) in runs.Select((run, index) => (run, index)))
        {
            var (target, profile) = run;
            await progress.ReportAsync(100 * index / runs.Count, $"{target.Service}, {profile}: {target.AllPages.Count()} page(s)", cancellationToken);
            var baseUrl = target.BaseUrl ?? configuration["PortalUrl"];
            if (string.IsNullOrEmpty(baseUrl))
            {
                failures.Add($"{target.Service}: no base_url, and PortalUrl is not set");
                continue;
            }
            var output = Directory.CreateTempSubdirectory("portal-lab-");
            try
            {
                // Public pages signed out, then the others signed in (one browser each).
                var pages = new List<(string Page, string File)>();
                foreach (var (list, signIn) in new[] { (target.PublicPages, false), (target.Pages, target.SignIn is not null) }.Where(part => part.Item1.Count > 0))
                {
                    var (written, problem) = await AuditAsync(script, target, list, signIn, profile, baseUrl, output.FullName, settings, cancellationToken);
                    if (problem is not null)
                    {
                        failures.Add($"{target.Service} ({profile}): {problem}");
                    }
                    pages.AddRange(written);
                }
                foreach (var (page, file) in pages)
                {
                    using var report = JsonDocument.Parse(await File.ReadAllBytesAsync(file, cancellationToken));
                    var (result, lhr, invalid) = LighthouseResultReader.Parse(report.RootElement);
                    if (invalid is not null)
                    {
                        failures.Add($"{target.Service} {page} ({profile}): {invalid}");
                        continue;
                    }
                    await results.RecordLighthouseAsync(target.Service, page, LabSources.Scheduled, result!, lhr, cancellationToken);
                    audited++;
                    scores.Add(result!.RuntimeError is { } error ? $"{page} {profile}: {error}" : $"{page} {profile} {LighthouseResult.Points(result.Performance)}");
                    if (result.RuntimeError is not null)
                    {
                        failures.Add($"{target.Service} {page} ({profile}): Lighthouse could not audit it: {result.RuntimeError}");
                    }
                }
            }
            finally
            {
                output.Delete(recursive: true);
            }
        }
        var pruned = await results.PruneReportsAsync(time.GetUtcNow() - TimeSpan.FromDays(settings.ReportRetentionDays), cancellationToken);
        var summary = $"{audited} audit(s): {string.Join(", ", scores)}" + (pruned > 0 ? $"; {pruned} full report(s) past {settings.ReportRetentionDays} days dropped" : "");
        return new Outcome(audited, failures, summary);
    }

    private async Task<(IReadOnlyList<(string Page, string File)> Pages, string? Problem)> AuditAsync(
        string script, LabTarget target, IReadOnlyList<string> paths, bool signIn, string profile, string baseUrl, string output, LabOptions settings,
        CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(settings.Node)
        {
            WorkingDirectory = Path.GetDirectoryName(script)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { script, "--base", baseUrl, "--profile", profile, "--out", output })
        {
            start.ArgumentList.Add(argument);
        }
        if (signIn)
        {
            start.ArgumentList.Add("--sign-in");
            start.ArgumentList.Add(Path.GetFullPath(target.SignIn!, Path.GetDirectoryName(catalogue.Path)!));
            var credentials = settings.Credentials.GetValueOrDefault(target.Service);
            start.Environment["LAB_USERNAME"] = credentials?.Username ?? "";
            start.Environment["LAB_PASSWORD"] = credentials?.Password ?? "";
        }
        foreach (var page in paths)
        {
            start.ArgumentList.Add(page);
        }
        start.Environment["CHROME_PATH"] = settings.Chromium;

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return ([], $"could not start {settings.Node}: {ex.Message} (Lab:Node)");
        }
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(settings.PageTimeoutSeconds * paths.Count + 30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            return ([], $"Lighthouse did not finish in {settings.PageTimeoutSeconds} s a page (Lab:PageTimeoutSeconds)");
        }
        var (text, errors) = (await stdout, await stderr);
        if (process.ExitCode != 0)
        {
            var last = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
            logger.LogWarning("Lighthouse on {Service} ({Profile}) exited with {Code}: {Errors}", target.Service, profile, process.ExitCode, errors);
            return ([], $"Lighthouse exited with code {process.ExitCode}: {last}");
        }
        using var audits = JsonDocument.Parse(text);
        return (audits.RootElement.EnumerateArray()
            .Select(audit => (audit.GetProperty("path").GetString()!, audit.GetProperty("file").GetString()!))
            .ToList(), null);
    }
}
