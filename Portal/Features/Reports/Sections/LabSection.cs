using System.Globalization;
using Microsoft.Extensions.Options;
using Portal.Components;
using Portal.Features.Lab;
using static Portal.Features.Reports.BaselineReportBuilder;

namespace Portal.Features.Reports.Sections;

/// <summary>
/// The lab half of the baseline, from the Lab feature: the Lighthouse score key metric (the lowest performance score of
/// the critical pages' last runs in the period: every page must clear the target), each page's scores beside the field,
/// pages under the target as findings; the load tests of the period and the readiness verdict; and what produced the
/// figures (Appendix B) and where their raw data is (Appendix A).
/// </summary>
internal sealed class LabSection(LabOverview overview, LabResults results, IOptions<LabOptions> lab, IOptions<ReportOptions> options) : IReportSection
{
    /// <summary>How far back the readiness verdict looks for a load test at the user count (load tests are not weekly).</summary>
    public static readonly TimeSpan ReadinessLookback = TimeSpan.FromDays(90);

    public IEnumerable<ReportRead> Reads(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        yield return new("Lighthouse runs", () => LighthouseAsync(scope, period, draft, cancellationToken));
        yield return new("load tests", () => LoadTestsAsync(scope, period, draft, cancellationToken));
    }

    private static bool InScope(ReportScope scope, string service) => scope.Services.Count == 0 || scope.Services.Contains(service);

    private async Task LighthouseAsync(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        var target = lab.Value.LighthouseTarget;
        var rows = (await overview.PagesAsync(period.Start, period.End, cancellationToken: cancellationToken)).Where(row => InScope(scope, row.Service)).ToList();
        var before = (await overview.PagesAsync(period.Previous.Start, period.Previous.End, cancellationToken: cancellationToken)).Where(row => InScope(scope, row.Service)).ToList();
        static LabPageRow? Lowest(IEnumerable<LabPageRow> rows) =>
            rows.Where(row => row.Last.Result.Performance is not null).MinBy(row => (row.Last.Result.Performance, row.Service, row.Page, row.Profile));
        var lowest = Lowest(rows);
        draft.Figures[Names.Lighthouse] = (Points(lowest), Points(Lowest(before)));
        if (lowest is not null)
        {
            var pages = rows.Select(row => (row.Service, row.Page)).Distinct().Count();
            draft.Sources[Names.Lighthouse] = $"Lighthouse performance, the lowest of {pages} critical page{(pages == 1 ? "" : "s")}: {lowest.Service} {lowest.Page} ({lowest.Profile})";
        }
        foreach (var row in rows.Where(row => row.Last.Result.Performance is { } score && LighthouseResult.Points(score) < target))
        {
            var result = row.Last.Result;
            var audits = result.Failing.Take(3).Select(audit => audit.DisplayValue is { } value ? $"{audit.Title} ({value})" : audit.Title).ToList();
            draft.Findings.Add(new Finding("lab", $"Lighthouse performance of {row.Service} {row.Page} ({row.Profile}) is {LabScores.Format(result.Performance)}, under {target:0}",
                $"lab LCP {Durations.Milliseconds(result.LcpMs)}, TBT {Durations.Milliseconds(result.TbtMs)}" + (audits.Count > 0 ? $"; failing: {string.Join("; ", audits)}" : ""),
                PortalLinks.LabPage(row.Service, row.Page)));
        }
        draft.Details.Add(new DetailSection("Frontend", "Lab (Lighthouse)", ["Page", "Profile", "Performance", "Accessibility", "LCP lab", "LCP field p75", "Failing audits"],
            rows.Select(row => new DetailRow($"{row.Service} {row.Page}",
            [
                row.Profile, LabScores.Format(row.Last.Result.Performance), LabScores.Format(row.Last.Result.Accessibility), Durations.Milliseconds(row.Last.Result.LcpMs),
                Durations.Milliseconds(row.Field?.LcpMs), row.Last.Result.Failing.Count.ToString(CultureInfo.InvariantCulture),
            ], PortalLinks.LabPage(row.Service, row.Page))).ToList(),
            "No Lighthouse run in this period: list critical pages under lab: in slas.yaml, or post CI's results to /api/v1/lab/lighthouse."));
        foreach (var group in rows.GroupBy(row => row.Service))
        {
            var runs = group.Select(row => row.Last).ToList();
            draft.TestConfigurations.Add($"Lighthouse {string.Join(", ", runs.Select(run => run.Result.LighthouseVersion).Distinct())} on {group.Key}: " +
                $"{string.Join(", ", group.Select(row => row.Page).Distinct())}; profiles {string.Join(", ", group.Select(row => row.Profile).Distinct())} " +
                $"(Lighthouse's defaults: mobile is a throttled mid-range phone on slow 4G, desktop a wired desktop); " +
                $"{string.Join(" and ", runs.Select(run => run.Source == LabSources.Scheduled ? "the lab-checks job (Debian's Chromium)" : "CI (POST /api/v1/lab/lighthouse)").Distinct())}; " +
                $"{group.Sum(row => row.Runs)} run(s) in the period.");
            draft.RawData.AddRange(runs.Where(run => run.HasReport).Select(run => new RawDataLink($"Lighthouse report, {run.Service} {run.Page} ({run.Result.Profile})", PortalLinks.LabRun(run.Id))));
        }
    }

    private static double? Points(LabPageRow? row) => LighthouseResult.Points(row?.Last.Result.Performance);

    private async Task LoadTestsAsync(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var runs = (await results.LoadTestsAsync(period.End - ReadinessLookback, period.End, cancellationToken: cancellationToken)).Where(run => InScope(scope, run.Service)).ToList();
        var readiness = ReadinessRule.Judge(runs, settings.ReadinessUsers, settings.ApiP95TargetMs, settings.ErrorRateTarget);
        draft.Readiness = new ReportReadiness(settings.ReadinessUsers, readiness.Verdict, readiness.Reason,
            readiness.Run is { } run ? PortalLinks.LoadTests(run.Service, run.Scenario) : PortalLinks.LoadTestsPage);
        var inPeriod = runs.Where(each => each.Run.StartedAt >= period.Start).OrderBy(each => each.Run.StartedAt).ToList();
        draft.Details.Add(new DetailSection("API", "Load tests", ["Scenario", "Started", "Users", "Throughput", "p95", "Error rate", "Thresholds"],
            inPeriod.Select(each => new DetailRow($"{each.Service} {each.Scenario}",
            [
                each.Run.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC", each.Run.Users.ToString("N0", CultureInfo.InvariantCulture),
                $"{each.Run.Throughput.ToString("N1", CultureInfo.InvariantCulture)} req/s",
                each.Run.P95OrAbove is var (name, ms) ? Durations.Milliseconds(ms) + (name == "p95" ? "" : $" ({name})") : "—",
                ReadinessRule.Percent(each.Run.ErrorRate),
                each.Run.ThresholdsPassed switch { true => "passed", false => "failed", _ => "none" },
            ], PortalLinks.LoadTests(each.Service, each.Scenario))).ToList(),
            "No load test in this period: post k6's or autocannon's summary from CI to /api/v1/loadtests."));
        foreach (var each in inPeriod.Append(readiness.Run).OfType<LoadTestRecord>().DistinctBy(each => each.Id))
        {
            draft.TestConfigurations.Add($"Load test {each.Service} {each.Scenario}: {each.Run.Tool}, {each.Run.Users:N0} concurrent users for {Durations.Milliseconds(each.Run.DurationSeconds * 1000)}, " +
                $"{each.Run.Requests:N0} requests, started {each.Run.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC" +
                (each.Run.Thresholds.Count > 0 ? $"; thresholds {string.Join(", ", each.Run.Thresholds.Keys)}" : "") + ".");
            draft.RawData.Add(new RawDataLink($"Load-test summary, {each.Service} {each.Scenario} ({each.Run.StartedAt.UtcDateTime:yyyy-MM-dd})",
                $"/api/v1/loadtests/{each.Id.ToString(CultureInfo.InvariantCulture)}/summary"));
        }
    }
}
