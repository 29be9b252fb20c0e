using Portal.Features.Cache;
using Portal.Features.Jobs;
using Portal.Features.Lab;
using Portal.Features.Prometheus;
using Portal.Features.Queries;
using Portal.Features.Scorecards;
using Portal.Features.Vitals;

namespace Portal.Features.Alerts;

/// <summary>
/// Reads a rule's value for every label set it covers, now. A source that cannot be read throws (the rule's alerts then
/// keep their state and are marked no data); a source with nothing to say returns no observation.
/// </summary>
public sealed class AlertEvaluator(
    PrometheusClient prometheus, SlaCatalogueSource catalogue, SliSampleStore samples, QueryStatistics queries, VitalsStore vitals,
    JobRunStore jobs, RedisSamples redisSamples, MaintenanceRisks risks, LabResults lab)
{
    public async Task<IReadOnlyList<AlertObservation>> ObserveAsync(AlertRule rule, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        switch (rule.Source)
        {
            case AlertSources.PromQl:
                var answer = await prometheus.QueryAsync(rule.Query!, now, cancellationToken: cancellationToken);
                if (answer.Result.Series.Count == 0)
                {
                    return rule.OnEmpty switch
                    {
                        EmptyAnswers.Ok => [],
                        EmptyAnswers.Fire => [new AlertObservation(rule.Labels, null)],
                        _ => throw new SourceAnsweredNothingException("the query answered no series (a scrape job gone? `on_empty: ok` if nothing is normal)"),
                    };
                }
                return answer.Result.Series
                    .Where(series => series.Samples.Count > 0 && !double.IsNaN(series.Samples[^1].Value))
                    .Select(series => new AlertObservation(Merge(rule.Labels, series.Labels.Where(label => label.Key != "__name__")), series.Samples[^1].Value))
                    .ToList();
            case AlertSources.BurnRate:
                return await BurnRateAsync(rule, now, cancellationToken) is { } burn ? [new AlertObservation(rule.Labels, burn)] : [];
            case AlertSources.Sli:
                var objective = Objective(rule.Objective!);
                var read = (await samples.ReadAsync([objective.Id], now - rule.Over, now, cancellationToken))[objective.Id];
                await ThrowIfNoSeriesAsync(objective, cancellationToken);
                var recent = read.Where(sample => sample.At > now - rule.Over).ToList();
                return SliFigures.Value(objective.Sli, SliFigures.Headline(objective.Sli), recent) is { } value
                    ? [new AlertObservation(Merge(rule.Labels, [new("objective", objective.Id)]), value)] : [];
            case AlertSources.Query:
                // The target's statements in scope (not its monitoring role's, postgres's or an exporter's), narrowed by the rule.
                var top = await queries.TopAsync(new TopQueriesRequest(rule.Target!, now - rule.Over, now, QuerySort.MeanTime, Limit: 1, Database: rule.Database, User: rule.User)
                {
                    MinCalls = rule.MinCalls,
                }, cancellationToken);
                return top.Rows is [var slowest]
                    ? [new AlertObservation(Merge(rule.Labels, [new("target", rule.Target!)]), slowest.MeanTimeMs)] : [];
            case AlertSources.Vitals:
                var summary = await vitals.SummaryAsync(rule.App!, now - rule.Over, now, rule.Page, cancellationToken);
                return summary.FirstOrDefault(metric => metric.Name == rule.Metric) is { Count: > 0 } found
                    ? [new AlertObservation(Merge(rule.Labels, [new("app", rule.App!), new("metric", rule.Metric!)]), found.P75)] : [];
            case AlertSources.Cache when rule.Category is { } category:
                var span = $"{(long)rule.Over.TotalSeconds}s";
                var ratio = await prometheus.QueryAsync(
                    $"{CacheStatistics.LookupsQuery(span, hitsOnly: true, category)} / {CacheStatistics.LookupsQuery(span, hitsOnly: false, category)}", now, cancellationToken: cancellationToken);
                return ratio.Result.Series is [var series, ..] && series.Samples is [.., var last] && double.IsFinite(last.Value)
                    ? [new AlertObservation(Merge(rule.Labels, [new("category", category)]), last.Value)] : [];
            case AlertSources.Cache:
                return await redisSamples.LookupsBetweenAsync(rule.Redis!, now - rule.Over, now, cancellationToken) is { } lookups
                    ? [new AlertObservation(Merge(rule.Labels, [new("redis", rule.Redis!)]), lookups.HitRatio)] : [];
            case AlertSources.Job:
                return await LateJobsAsync(rule, now, cancellationToken);
            case AlertSources.Risk:
                // Each database, table, sequence or the server, by the share of its limit used; only those at the rule's
                // threshold or judged at risk by the Queries feature (a cluster has a sequence per table: the others say
                // nothing, and one that falls back below resolves).
                return (await risks.ReadAsync(rule.Target!, cancellationToken)).Risks
                    .Where(risk => (rule.Risk == "*" || risk.Kind == rule.Risk) && (risk.Share >= rule.Threshold || risk.Status != RiskStatuses.Ok))
                    .Select(risk => new AlertObservation(Merge(rule.Labels, [new("target", rule.Target!), new("risk", risk.Kind), new("subject", risk.Subject)]), risk.Share))
                    .ToList();
            case AlertSources.Lighthouse:
                // Each page and profile's last run within the span: its score in the rule's category (0–100).
                return (await lab.LighthouseRunsAsync(now - rule.Over, now, rule.Service, cancellationToken))
                    .Where(run => (rule.Page is null || run.Page == rule.Page) && (rule.Profile is null || run.Result.Profile == rule.Profile))
                    .GroupBy(run => (run.Service, run.Page, run.Result.Profile))
                    .Select(group => group.MaxBy(run => (run.Result.FetchedAt, run.Id))!)
                    .Where(run => run.Result.Score(rule.Category!) is not null)
                    .Select(run => new AlertObservation(Merge(rule.Labels,
                        [new("service", run.Service), new("page", run.Page), new("profile", run.Result.Profile), new("category", rule.Category!)]),
                        LighthouseResult.Points(run.Result.Score(rule.Category!))))
                    .ToList();
            default:
                throw new InvalidOperationException($"Unknown alert source '{rule.Source}'.");
        }
    }

    private SlaObjective Objective(string id) => catalogue.Current?.Objectives.FirstOrDefault(objective => objective.Id == id)
        ?? throw new InvalidOperationException($"The SLA catalogue in force has no objective '{id}'.");

    // The SRE workbook's multiwindow burn: the budget's burn rate over the long and over the short window; the rule's
    // value is the smaller, so it exceeds the factor only when both do. An objective without a budget (100 %) has none.
    private async Task<double?> BurnRateAsync(AlertRule rule, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var objective = Objective(rule.Objective!);
        var budget = 1 - objective.Sli.Objective;
        if (budget <= 0)
        {
            return null;
        }
        var read = (await samples.ReadAsync([objective.Id], now - rule.LongWindow!.Value, now, cancellationToken))[objective.Id];
        var state = await ThrowIfNoSeriesAsync(objective, cancellationToken);
        // A new objective raises no burn-rate alert: its first intervals are no evidence (one bad of three is a 33× burn).
        if (objective.WarmingUpUntil(state?.FirstSampleAt, now) is not null)
        {
            return null;
        }
        return BurnRate(rule, budget, read, now);
    }

    /// <summary>
    /// A burn-rate rule's value at <paramref name="now"/> from the objective's 5-minute samples (those of the long window
    /// at least): the smaller of the budget's burn over the long and the short window, or null below the rule's
    /// low-traffic guard or without events. The alert evaluation and the backtest both ask this.
    /// </summary>
    public static double? BurnRate(AlertRule rule, double budget, IEnumerable<SliSample> read, DateTimeOffset now)
    {
        var inLong = read.Where(sample => !sample.Daily && sample.At > now - rule.LongWindow!.Value && sample.At <= now).ToList();
        // The low-traffic guard: too few events in the long window are no evidence either way (no value: no alert).
        if (inLong.Sum(sample => sample.Total) < rule.MinEvents)
        {
            return null;
        }
        double? Burn(IReadOnlyCollection<SliSample> window) => SliFigures.Compliance(window) is { } compliance ? (1 - compliance) / budget : null;
        return Burn(inLong) is { } longBurn && Burn(inLong.Where(sample => sample.At > now - rule.ShortWindow!.Value).ToList()) is { } shortBurn
            ? Math.Min(longBurn, shortBurn) : null;
    }

    // Absence is not health: an objective whose Prometheus series are gone has no burn rate and no value to compare,
    // which must not read as "within budget" (the scorecard calls it no data by the same rule).
    // Returns the objective's evaluation state.
    private async Task<SliEvaluationState?> ThrowIfNoSeriesAsync(SlaObjective objective, CancellationToken cancellationToken)
    {
        var state = await samples.StateAsync(objective.Id, cancellationToken);
        if (SliEvaluator.NoSeriesSince(objective.Sli, state) is { } since)
        {
            throw new SourceAnsweredNothingException(
                $"objective '{objective.Id}': Prometheus has answered no series for its SLI since {since:yyyy-MM-dd HH:mm} UTC");
        }
        return state;
    }

    // Each job (not paused) with the minutes since it became stale (0 while fresh), by the Jobs feature's rule.
    private async Task<IReadOnlyList<AlertObservation>> LateJobsAsync(AlertRule rule, DateTimeOffset now, CancellationToken cancellationToken) =>
        (await jobs.FreshnessAtAsync([now], cancellationToken))
            .Where(job => rule.Job == "*" || job.Definition.Id == rule.Job)
            .Select(job => new AlertObservation(Merge(rule.Labels, [new("job", job.Definition.Id)]),
                job.Freshness.StaleSince is { } since ? Math.Max(0, (now - since).TotalMinutes) : 0))
            .ToList();

    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> ruleLabels, IEnumerable<KeyValuePair<string, string>> labels)
    {
        var merged = new Dictionary<string, string>(labels);
        foreach (var (name, value) in ruleLabels)
        {
            merged[name] = value;
        }
        return merged;
    }
}
