using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MimeKit;
using Portal.Components;

namespace Portal.Features.Reports;

/// <summary>
/// A report as a message: an HTML body (inline styles, charts as CID-embedded PNGs), a plain-text alternative, and the
/// key metrics as a CSV attachment; and as the archive keeps it, the same HTML with its images inline.
/// </summary>
public sealed class ReportMail(IServiceScopeFactory scopes, ILoggerFactory loggers)
{
    public const string CsvName = "key-metrics.csv";

    /// <param name="links">Absolute links: the portal's address, the report in the archive, the recipient's unsubscribe link.</param>
    public sealed record Links(string? PortalUrl, string? ArchiveUrl, string? UnsubscribeUrl);

    public async Task<MimeMessage> ComposeAsync(BaselineReport report, MailboxAddress from, MailboxAddress to, Links links)
    {
        var charts = ReportCharts.Render(report);
        var body = new BodyBuilder
        {
            HtmlBody = await HtmlAsync(report, links, name => charts.ContainsKey(name) ? $"cid:{name}" : null),
            TextBody = Text(report, links),
        };
        foreach (var (name, png) in charts)
        {
            body.LinkedResources.Add($"{name}.png", png, new ContentType("image", "png")).ContentId = name;
        }
        body.Attachments.Add(CsvName, Encoding.UTF8.GetBytes(KeyMetricsCsv(report)), new ContentType("text", "csv") { Charset = "utf-8" });
        var message = new MimeMessage { Subject = report.Subject, Body = body.ToMessageBody() };
        message.From.Add(from);
        message.To.Add(to);
        if (links.UnsubscribeUrl is { } unsubscribe)
        {
            message.Headers.Add(HeaderId.ListUnsubscribe, $"<{unsubscribe}>");
            message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"); // RFC 8058: mail clients' own button
        }
        return message;
    }

    /// <summary>The HTML the archive keeps and shows: self-contained, its charts as data URIs.</summary>
    public async Task<string> ArchiveHtmlAsync(BaselineReport report, string? portalUrl)
    {
        var charts = ReportCharts.Render(report);
        return await HtmlAsync(report, new Links(portalUrl, null, null), name => charts.TryGetValue(name, out var png) ? $"data:image/png;base64,{Convert.ToBase64String(png)}" : null);
    }

    private async Task<string> HtmlAsync(BaselineReport report, Links links, Func<string, string?> images)
    {
        // A renderer wants a scope of its own (components may take scoped services).
        await using var scope = scopes.CreateAsyncScope();
        await using var renderer = new HtmlRenderer(scope.ServiceProvider, loggers);
        return await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var parameters = ParameterView.FromDictionary(new Dictionary<string, object?>
            {
                [nameof(ReportEmail.Report)] = report, [nameof(ReportEmail.PortalUrl)] = links.PortalUrl, [nameof(ReportEmail.ImageSource)] = images,
                [nameof(ReportEmail.ArchiveUrl)] = links.ArchiveUrl, [nameof(ReportEmail.UnsubscribeUrl)] = links.UnsubscribeUrl,
            });
            return (await renderer.RenderComponentAsync<ReportEmail>(parameters)).ToHtmlString();
        });
    }

    /// <summary>The plain-text alternative: the same findings, for clients that show no HTML.</summary>
    public static string Text(BaselineReport report, Links links)
    {
        var text = new StringBuilder();
        text.AppendLine(report.Subject).AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Overall health: {report.Health} ({report.HealthReason})");
        text.AppendLine(CultureInfo.InvariantCulture, $"Performance score: {(report.Score is { } score ? score.ToString("0", CultureInfo.InvariantCulture) : "—")} / 100");
        if (report.Readiness is { } readiness)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Readiness for {readiness.Users:N0}+ users: {readiness.Verdict} ({readiness.Reason})");
        }
        text.AppendLine();
        text.AppendLine("KEY METRICS");
        foreach (var metric in report.KeyMetrics)
        {
            var change = metric.Change is { } value ? value.ToString("+0.#%;-0.#%", CultureInfo.InvariantCulture) : "—";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"- {metric.Name}: {Figures.Format(metric.Current, metric.Unit)} (target {(metric.LowerIsBetter ? "≤" : "≥")} {Figures.Format(metric.Target, metric.Unit)}, {metric.Status}, {change} vs {report.Period.PreviousName})");
        }
        foreach (var objective in report.Objectives)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {objective.Title} ({objective.Service}): {Figures.Format(objective.Value, objective.Unit)}, {objective.StatusText}");
        }
        text.AppendLine().AppendLine("CRITICAL FINDINGS");
        text.AppendLine(report.Findings.Count == 0 ? "- none" : string.Join(Environment.NewLine, report.Findings.Select(finding => $"- {finding.Title} — {finding.Detail}")));
        text.AppendLine().AppendLine(report.OpportunitiesHeading.ToUpperInvariant());
        var shownPriority = "";
        foreach (var (opportunity, rank) in report.Opportunities.Select((opportunity, index) => (opportunity, index + 1)))
        {
            if (opportunity.Priority != shownPriority)
            {
                shownPriority = opportunity.Priority;
                text.AppendLine(CultureInfo.InvariantCulture, $"{shownPriority} priority ({OpportunityPriorities.Roadmap(shownPriority)}):");
            }
            text.AppendLine(CultureInfo.InvariantCulture, $"{rank}. {opportunity.Title}").AppendLine(CultureInfo.InvariantCulture, $"   {opportunity.Estimate}. {opportunity.NextStep}");
        }
        text.AppendLine().AppendLine("LARGEST REGRESSIONS");
        text.AppendLine(report.Regressions.Count == 0 ? "- none measured" : string.Join(Environment.NewLine, report.Regressions.Select(Moved)));
        text.AppendLine().AppendLine("LARGEST IMPROVEMENTS");
        text.AppendLine(report.Improvements.Count == 0 ? "- none measured" : string.Join(Environment.NewLine, report.Improvements.Select(Moved)));
        text.AppendLine();
        if (links.ArchiveUrl is { } archive)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"The full report, with the detailed analysis and the appendix: {archive}");
        }
        if (links.UnsubscribeUrl is { } unsubscribe)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Unsubscribe: {unsubscribe}");
        }
        return text.ToString();
    }

    private static string Moved(Movement movement) =>
        $"- {movement.What}: {Figures.Format(movement.Before, movement.Unit)} → {Figures.Format(movement.After, movement.Unit)} ({movement.Relative.ToString("+0%;-0%", CultureInfo.InvariantCulture)})";

    /// <summary>The key metrics and objectives: one line each, numbers in their unit (ms, or a ratio), unformatted.</summary>
    public static string KeyMetricsCsv(BaselineReport report)
    {
        var csv = new StringBuilder(Csv.Line("metric", "source", "unit", "current", "previous", "target", "lower_is_better", "status", "change")).Append('\n');
        foreach (var metric in report.KeyMetrics)
        {
            csv.Append(Csv.Line(metric.Name, metric.Source, metric.Unit, Csv.Number(metric.Current), Csv.Number(metric.Previous), Csv.Number(metric.Target),
                metric.LowerIsBetter ? "true" : "false", metric.Status, Csv.Number(metric.Change))).Append('\n');
        }
        foreach (var objective in report.Objectives)
        {
            csv.Append(Csv.Line(objective.Title, $"SLA objective {objective.Id}", objective.Unit, Csv.Number(objective.Value), "", Csv.Number(objective.Target), "",
                objective.Status, "")).Append('\n');
        }
        return csv.ToString();
    }
}
