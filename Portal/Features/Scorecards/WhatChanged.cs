using Npgsql;
using Portal.Features.Cache;
using Portal.Features.Prometheus;
using Portal.Features.Queries;
using Portal.Features.Vitals;

namespace Portal.Features.Scorecards;

/// <summary>A statement whose database time moved most between the baseline and the degraded interval.</summary>
public sealed record StatementChange(string Target, long QueryId, string Query, long Calls, double? MeanTimeMs, long PreviousCalls, double? PreviousMeanTimeMs, double TimeDeltaMs)
{
    /// <summary>The statement's new plan first seen in the baseline or the degraded interval, in words; null without one.</summary>
    public string? PlanChange { get; init; }
}

/// <summary>A Web Vitals page whose p75 worsened, with the releases first seen around the change (newest first).</summary>
public sealed record VitalsPageChange(string App, string Page, string Metric, double P75, double PreviousP75, long Samples, IReadOnlyList<string> Releases);

/// <summary>A cache whose hit ratio fell: a category of the portal's cache or a Redis.</summary>
public sealed record CacheChange(string Name, double HitRatio, double PreviousHitRatio, double Lookups);

/// <summary>
/// What changed between the baseline (the span before) and the interval where the SLI degraded, in every source: the
/// trail from a missed objective to its cause. A source that cannot be read says so in <see cref="Problems"/>.
/// </summary>
public sealed record Degradation(
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset BaselineFrom,
    double? Value,
    double? Compliance,
    double? BaselineValue,
    double? BaselineCompliance,
    IReadOnlyList<StatementChange> Statements,
    IReadOnlyList<VitalsPageChange> Pages,
    IReadOnlyList<CacheChange> Caches,
    IReadOnlyList<string> Problems);

/// <summary>
/// Finds the hour where an objective's SLI was worst in its window and explains it from the other sources: the
/// statements (every query target) whose time moved most, the Web Vitals pages of the service's apps that worsened,
/// and the caches whose hit ratio fell — each compared with the hour before.
/// </summary>
public sealed class WhatChanged(QueryTargets targets, QueryStatistics queries, PlanHistory plans, VitalsStore vitals, PrometheusClient prometheus, RedisSamples redisSamples)
{
    public const int Shown = 5;

    /// <summary>The worst hour of the samples: the lowest compliance below the objective, else null (nothing to explain).</summary>
    public static (DateTimeOffset From, DateTimeOffset To)? WorstHour(SliSpec sli, IReadOnlyList<SliSample> samples)
    {
        var worst = samples
            .Where(sample => sample.Total > 0)
            .GroupBy(sample => new DateTimeOffset(sample.At.AddTicks(-1).UtcTicks - sample.At.AddTicks(-1).UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero))
            .Select(hour => (Start: hour.Key, Compliance: hour.Sum(sample => sample.Good) / hour.Sum(sample => sample.Total)))
            .Where(hour => hour.Compliance < sli.Objective)
            .OrderBy(hour => hour.Compliance).ThenByDescending(hour => hour.Start)
            .FirstOrDefault();
        return worst == default ? null : (worst.Start, worst.Start.AddHours(1));
    }

    public async Task<Degradation> ExplainAsync(SlaObjective objective, IReadOnlyList<SlaObjective> serviceObjectives, IReadOnlyList<SliSample> samples,
        DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var baselineFrom = from - (to - from);
        var figure = SliFigures.Headline(objective.Sli);
        var degraded = samples.Where(sample => sample.At > from && sample.At <= to).ToList();
        var baseline = samples.Where(sample => sample.At > baselineFrom && sample.At <= from).ToList();
        var problems = new List<string>();
        var statements = await Guard("query statistics", problems, () => StatementsAsync(objective.Sli, from, to, cancellationToken)) ?? [];
        var pages = await Guard("Web Vitals", problems, () => PagesAsync(objective, serviceObjectives, from, to, cancellationToken)) ?? [];
        var caches = (await Guard("the cache's counters in Prometheus", problems, () => CategoriesAsync(from, to, cancellationToken)) ?? [])
            .Concat(await Guard("Redis samples", problems, () => RedisAsync(from, to, cancellationToken)) ?? [])
            .OrderByDescending(change => change.PreviousHitRatio - change.HitRatio).Take(Shown).ToList();
        return new Degradation(from, to, baselineFrom, SliFigures.Value(objective.Sli, figure, degraded), SliFigures.Compliance(degraded),
            SliFigures.Value(objective.Sli, figure, baseline), SliFigures.Compliance(baseline), statements, pages, caches, problems);
    }


    private static async Task<T?> Guard<T>(string source, List<string> problems, Func<Task<T>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (Exception ex) when (ex is NpgsqlException or PrometheusUnavailableException or PrometheusQueryException or TimeoutException or HttpRequestException)
        {
            problems.Add($"{source} could not be read: {ex.Message}");
            return null;
        }
    }

    // A query SLI looks only at its own statements; any other SLI at every target's.
    private async Task<IReadOnlyList<StatementChange>> StatementsAsync(SliSpec sli, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var names = sli.Kind == SliKinds.Query ? [sli.Target!] : targets.All.Select(target => target.Name).ToList();
        var changes = new List<StatementChange>();
        foreach (var name in names)
        {
            // A query SLI's own statements as it counts them (whoever runs them); others, the targets' statements in scope.
            var top = await queries.TopAsync(new TopQueriesRequest(name, from, to, Limit: 100,
                Database: sli.Kind == SliKinds.Query ? sli.Database : null, QueryId: sli.Kind == SliKinds.Query ? sli.QueryId : null) { InScope = sli.Kind != SliKinds.Query }, cancellationToken);
            changes.AddRange(top.Rows
                .Where(row => sli.Kind != SliKinds.Query || sli.Pattern is null || System.Text.RegularExpressions.Regex.IsMatch(row.Query, sli.Pattern,
                    System.Text.RegularExpressions.RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1)))
                .Select(row => new StatementChange(name, row.QueryId, row.Query, row.Calls, row.MeanTimeMs, row.PreviousCalls, row.PreviousMeanTimeMs,
                    row.TotalTimeMs - row.PreviousTimeMs)));
        }
        // A plan change of one of them, first seen in the baseline or the degraded interval, is named beside it.
        var shown = changes.OrderByDescending(change => Math.Abs(change.TimeDeltaMs)).Take(Shown).ToList();
        var planChanges = new Dictionary<(string, long), PlanChange>();
        foreach (var name in shown.Select(change => change.Target).Distinct())
        {
            foreach (var change in await plans.ChangesAsync(name, from - (to - from), to, cancellationToken))
            {
                planChanges.TryAdd((name, change.QueryId), change);
            }
        }
        return shown.Select(change => planChanges.TryGetValue((change.Target, change.QueryId), out var plan)
            ? change with { PlanChange = PlanHistory.Describe(plan) } : change).ToList();
    }

    // The Web Vitals objectives of the service say which apps and metrics it has; a vitals SLI only its own.
    private async Task<IReadOnlyList<VitalsPageChange>> PagesAsync(SlaObjective objective, IReadOnlyList<SlaObjective> serviceObjectives,
        DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var watched = (objective.Sli.Kind == SliKinds.Vitals ? [objective] : serviceObjectives.Where(each => each.Sli.Kind == SliKinds.Vitals))
            .Select(each => (App: each.Sli.App!, Metric: each.Sli.Metric!)).Distinct().ToList();
        var changes = new List<VitalsPageChange>();
        foreach (var app in watched.GroupBy(pair => pair.App))
        {
            var now = await vitals.PagesAsync(app.Key, from, to, cancellationToken);
            var before = (await vitals.PagesAsync(app.Key, from - (to - from), from, cancellationToken)).ToDictionary(page => page.Page);
            foreach (var (_, metric) in app)
            {
                foreach (var page in now)
                {
                    if (page.Metrics.TryGetValue(metric, out var current) && before.GetValueOrDefault(page.Page)?.Metrics.TryGetValue(metric, out var previous) == true
                        && current.P75 > previous.P75)
                    {
                        changes.Add(new VitalsPageChange(app.Key, page.Page, metric, current.P75, previous.P75, current.Count, []));
                    }
                }
            }
        }
        var worst = changes.OrderByDescending(change => (change.P75 - change.PreviousP75) / Math.Max(change.PreviousP75, 1e-9)).Take(Shown).ToList();
        var withReleases = new List<VitalsPageChange>();
        foreach (var change in worst)
        {
            var detail = await vitals.PageDetailAsync(change.App, change.Page, change.Metric, from, to, cancellationToken);
            withReleases.Add(change with
            {
                Releases = detail.Releases.OrderByDescending(release => release.FirstSeen).Select(release => release.Group).Take(3).ToList(),
            });
        }
        return withReleases;
    }

    // The portal's cache categories, from the counters Prometheus scrapes from the portal.
    private async Task<IReadOnlyList<CacheChange>> CategoriesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var span = $"{(long)(to - from).TotalSeconds}s";
        var hits = CacheStatistics.LookupsQuery(span, hitsOnly: true);
        var all = CacheStatistics.LookupsQuery(span, hitsOnly: false);
        var now = await RatiosAsync(hits, all, to, cancellationToken);
        var before = await RatiosAsync(hits, all, from, cancellationToken);
        return now.Where(pair => before.ContainsKey(pair.Key) && pair.Value.Ratio < before[pair.Key].Ratio)
            .Select(pair => new CacheChange(pair.Key, pair.Value.Ratio, before[pair.Key].Ratio, pair.Value.Lookups))
            .ToList();
    }

    private async Task<Dictionary<string, (double Ratio, double Lookups)>> RatiosAsync(string hits, string all, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var lookups = (await prometheus.QueryAsync(all, at, cancellationToken: cancellationToken)).Result.Series
            .ToDictionary(series => series.Labels.GetValueOrDefault("category", ""), series => series.Samples[0].Value);
        var answered = (await prometheus.QueryAsync(hits, at, cancellationToken: cancellationToken)).Result.Series
            .ToDictionary(series => series.Labels.GetValueOrDefault("category", ""), series => series.Samples[0].Value);
        return lookups.Where(pair => pair.Value > 0)
            .ToDictionary(pair => $"cache category {pair.Key}", pair => (answered.GetValueOrDefault(pair.Key) / pair.Value, pair.Value));
    }

    // Every Redis the portal samples: its hit ratio in the interval against the one before.
    private async Task<IReadOnlyList<CacheChange>> RedisAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var changes = new List<CacheChange>();
        foreach (var name in await redisSamples.NamesAsync(from - (to - from), to, cancellationToken))
        {
            if (await redisSamples.LookupsBetweenAsync(name, [from - (to - from), from, to], cancellationToken) is [{ } before, { } now]
                && now.HitRatio < before.HitRatio)
            {
                changes.Add(new CacheChange($"Redis {name}", now.HitRatio, before.HitRatio, now.Lookups));
            }
        }
        return changes;
    }
}
