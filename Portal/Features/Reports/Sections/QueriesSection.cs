using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Portal.Components;
using Portal.Features.Queries;
using static Portal.Features.Reports.BaselineReportBuilder;

namespace Portal.Features.Reports.Sections;

/// <summary>Query statistics, from the Queries feature: one read per target (a target that cannot be read leaves the others).</summary>
internal sealed class QueriesSection(
    QueryStatistics queries, QueryTargets targets, IndexHealth indexHealth, MaintenanceRisks maintenance, PlanHistory plans, IOptions<QueryOptions> queryOptions) : IReportSection
{
    private const int TopStatements = 200;

    public IEnumerable<ReportRead> Reads(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken) =>
        (scope.Targets.Count > 0 ? scope.Targets : targets.All.Select(target => target.Name))
            .Select(target => new ReportRead($"query statistics of {target}", () => QueriesAsync(target, period, draft, cancellationToken)));

    private static string Shorten(string sql) => SqlText.OneLine(sql, 90);

    private static string PlanChangeText(PlanChange change) => PlanHistory.Describe(change);

    // Query statistics: the call-weighted mean over every statement, the statements by their share of database time
    // (and N+1 suspects), missing-index suspects weighed by the time of the statements that read their table.
    private async Task QueriesAsync(string target, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        async Task<(long Calls, double TimeMs)> TotalsAsync(ReportPeriod span)
        {
            var intervals = await queries.SeriesAsync(target, new StatementFilter(), span.Start, span.End, cancellationToken);
            return (intervals.Sum(interval => interval.Calls), intervals.Sum(interval => interval.TimeMs));
        }
        var (calls, timeMs) = await TotalsAsync(period);
        var (callsBefore, timeBefore) = await TotalsAsync(period.Previous);
        draft.Database = (draft.Database.Calls + calls, draft.Database.TimeMs + timeMs);
        draft.DatabaseBefore = (draft.DatabaseBefore.Calls + callsBefore, draft.DatabaseBefore.TimeMs + timeBefore);

        draft.Snapshots += await queries.SnapshotCountAsync(target, period.Start, period.End, cancellationToken);
        var top = await queries.TopAsync(new TopQueriesRequest(target, period.Start, period.End, Limit: TopStatements), cancellationToken);
        // Statistics the period lost: the figures below miss what the dropped statements did.
        if (top.Evictions is { Count: > 0 } evictions)
        {
            draft.Findings.Add(new Finding("statistics", $"pg_stat_statements {evictions.MadeRoom} on {target}",
                $"{(evictions.StatementsMax is { } max ? $"Room for {max:N0} statements; " : "")}{StatementEvictions.Cost}. {StatementEvictions.Advice}",
                PortalLinks.Statements(target)));
        }
        var slowMean = queryOptions.Value.SlowMeanMs;
        // Plan changes of the period: a statement that regressed with a new plan is a finding, and its opportunity names the change.
        var changes = (await plans.ChangesAsync(target, period.Start, period.End, cancellationToken)).GroupBy(change => change.QueryId).ToDictionary(group => group.Key, group => group.First());
        foreach (var change in changes.Values.Where(change => change.Regressed))
        {
            draft.Findings.Add(new Finding("plan", $"Plan change with a regression: {Shorten(change.Query ?? $"query id {change.QueryId}")} ({target})",
                $"{PlanChangeText(change)}; mean {Durations.Milliseconds(change.MeanBeforeMs)} → {Durations.Milliseconds(change.MeanAfterMs)}",
                PortalLinks.Statement(target, change.QueryId)));
        }
        foreach (var row in top.Rows.Where(row => row.TotalTimeMs > 0))
        {
            var link = PortalLinks.Statement(target, row.QueryId);
            var planChange = changes.TryGetValue(row.QueryId, out var change) ? $"{PlanChangeText(change)}: compare its plans on its query page. " : "";
            draft.Opportunities.Add(new Opportunity(row.IsNPlusOneSuspect ? "n+1" : "statement", $"{Shorten(row.Query)} ({target})", row.TotalTimeMs,
                $"{Durations.Milliseconds(row.TotalTimeMs)} of database time ({row.SharePercent:0.#} % of {target}'s), {row.Calls:N0} calls at {Figures.Format(row.MeanTimeMs, "ms")}",
                link,
                planChange + (row.IsNPlusOneSuspect ? "N+1 suspect: many cheap calls — fetch the rows in one statement (IN / ANY, or a join) instead of one per item."
                : row.MeanTimeMs >= slowMean ? "EXPLAIN it from its query page: look for a sequential scan, a sort that spills, or rows fetched to be thrown away."
                : "Called very often: cache its result, or call it once per request instead of per item.")));
            if (row.PreviousMeanTimeMs is { } before && row.PreviousCalls >= 10 && row.Calls >= 10)
            {
                draft.Movements.Add(new Movement("Database", $"mean time of {Shorten(row.Query)} ({target})", "ms", before, row.MeanTimeMs, true));
            }
        }
        // Index advice reads the target itself; statistics stored for a target since removed from the configuration have none.
        var health = targets.Find(target) is null ? null : await indexHealth.ReadAsync(target, cancellationToken);
        if (health is null)
        {
            draft.Gaps.Add($"index advice of {target}: not a configured query target");
        }
        foreach (var suspect in health?.MissingIndexes ?? [])
        {
            var table = suspect.Table.Split('.')[^1];
            var reading = top.Rows.Where(row => Regex.IsMatch(row.Query, $@"\b{Regex.Escape(table)}\b", RegexOptions.IgnoreCase)).ToList();
            var impact = reading.Sum(row => row.TotalTimeMs);
            draft.Opportunities.Add(new Opportunity("index", $"Missing index suspect: {suspect.Table} ({target})", impact,
                $"{Durations.Milliseconds(impact)} of database time in {reading.Count} statement{(reading.Count == 1 ? "" : "s")} reading it; {suspect.SequentialScans:N0} sequential scans read {suspect.SequentialRowsRead:N0} rows",
                PortalLinks.IndexHealth(target),
                suspect.FilteredColumns.Count > 0 ? $"Index the columns its statements filter on ({string.Join(", ", suspect.FilteredColumns)}), then check the plans." : "Find the columns its statements filter on and index them."));
        }
        // What takes the database down, as the report's week ends: every risk at a warning or above is a finding.
        foreach (var risk in health is null ? [] : (await maintenance.ReadAsync(target, cancellationToken)).Risks.Where(risk => risk.Status != RiskStatuses.Ok))
        {
            draft.Findings.Add(new Finding("risk", $"{MaintenanceRisks.Title(risk.Kind)}: {risk.Subject} on {target} ({risk.Status})",
                $"{Figures.Percent(risk.Share)} of its limit used ({MaintenanceRisks.Describe(risk)}). {risk.Advice}", PortalLinks.IndexHealth(target)));
        }
        draft.Details.Add(new DetailSection("Database", $"Statements of {target} by database time", ["Statement", "Time", "Share", "Calls", "Mean", "Mean before"],
            top.Rows.Take(5).Select(row => new DetailRow(Shorten(row.Query),
                [Durations.Milliseconds(row.TotalTimeMs), $"{row.SharePercent:0.#} %", row.Calls.ToString("N0", CultureInfo.InvariantCulture), Figures.Format(row.MeanTimeMs, "ms"), Figures.Format(row.PreviousMeanTimeMs, "ms")],
                PortalLinks.Statement(target, row.QueryId))).ToList(),
            $"No statement ran on {target} in this period, or no snapshot covers it (the snapshot job runs every minute)."));
    }
}
