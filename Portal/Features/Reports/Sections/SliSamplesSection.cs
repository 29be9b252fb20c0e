using Portal.Features.Scorecards;
using static Portal.Features.Reports.BaselineReportBuilder;

namespace Portal.Features.Reports.Sections;

/// <summary>The API's p95 and error rate from the services' SLA objectives, when Prometheus has no request metrics of the portal's names.</summary>
internal sealed class SliSamplesSection(SlaCatalogueSource catalogue, SliSampleStore samples) : IReportSection
{
    public IEnumerable<ReportRead> Reads(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        yield return new("SLI samples", () => FromObjectivesAsync(scope, period, draft, cancellationToken));
    }

    // A stack measured by nginx or an exporter has none of the request metrics the portal's own names
    // (Reports:RequestDurationMetric, RequestsMetric): its services' latency and error objectives (slas.yaml) measure
    // them, and their stored SLI samples give the period's p95 (the slowest service's) and error rate, as the scorecards read them.
    private async Task FromObjectivesAsync(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        var inScope = catalogue.Current?.Objectives.Where(objective => scope.Services.Count == 0 || scope.Services.Contains(objective.Service)).ToList() ?? [];
        var latency = draft.Figures.GetValueOrDefault(Names.Api).Current is null ? inScope.Where(objective => objective.Sli.Kind == SliKinds.Latency).ToList() : [];
        var errors = draft.Figures.GetValueOrDefault(Names.Errors).Current is null ? inScope.Where(objective => objective.Sli.Kind == SliKinds.Errors).ToList() : [];
        if (latency.Count + errors.Count == 0)
        {
            return;
        }
        var previous = period.Previous;
        var read = await samples.ReadAsync([.. latency.Concat(errors).Select(objective => objective.Id)], previous.Start, period.End, cancellationToken);
        static List<SliSample> In(IReadOnlyList<SliSample> all, ReportPeriod span) => [.. all.Where(sample => sample.At > span.Start && sample.At <= span.End)];

        var p95 = new SliFigure("p95", null, "ms", true);
        var slowest = latency
            .Select(objective => (Objective: objective, Current: SliFigures.Value(objective.Sli, p95, In(read[objective.Id], period)),
                Previous: SliFigures.Value(objective.Sli, p95, In(read[objective.Id], previous))))
            .Where(each => each.Current is not null)
            .OrderByDescending(each => each.Current)
            .FirstOrDefault();
        if (slowest.Objective is { } measured)
        {
            draft.Figures[Names.Api] = (slowest.Current, slowest.Previous);
            draft.Sources[Names.Api] = $"SLA objective {measured.Id} ({measured.Sli.Metric}{(latency.Count > 1 ? $", the slowest of {latency.Count} latency objectives" : "")})";
        }
        (double Good, double Total) Sum(ReportPeriod span) => errors.SelectMany(objective => In(read[objective.Id], span))
            .Aggregate((Good: 0.0, Total: 0.0), (sum, sample) => (sum.Good + sample.Good, sum.Total + sample.Total));
        var (now, before) = (Sum(period), Sum(previous));
        if (now.Total > 0)
        {
            draft.Figures[Names.Errors] = (1 - now.Good / now.Total, before.Total > 0 ? 1 - before.Good / before.Total : null);
            draft.Sources[Names.Errors] = $"SLA objective{(errors.Count == 1 ? "" : "s")} {string.Join(", ", errors.Select(objective => objective.Id))} (their bad and total)";
            draft.Requests = (long)Math.Round(now.Total);
            draft.RequestsFrom = $"the error SLIs of {string.Join(", ", errors.Select(objective => objective.Id))}";
            var counted = errors.SelectMany(objective => In(read[objective.Id], period)).Where(sample => sample.Total > 0).ToList();
            draft.DaysWithoutPrometheus = period.Days.Count(day => !counted.Any(sample => sample.At > day && sample.At <= day.AddDays(1)));
        }
    }
}
