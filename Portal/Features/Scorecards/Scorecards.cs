using Portal.Features.Cache;

namespace Portal.Features.Scorecards;

/// <summary>A point of an objective's trend: the SLI's figure over one day (or hour).</summary>
public sealed record SliPoint(DateTimeOffset At, double? Value, double? Compliance);

/// <summary>An objective over its window: the headline figure against its target, the error budget, the trend, the change.</summary>
public sealed record ObjectiveScore(
    SlaObjective Objective,
    SliFigure Figure,
    double? Value,
    double? PreviousValue,
    double? PreviousCompliance,
    BudgetReport Budget,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    IReadOnlyList<SliPoint> Trend,
    SliEvaluationState? Evaluation)
{
    /// <summary>
    /// No data when its Prometheus series are gone (<see cref="NoSeriesSince"/>): what was met before says nothing now;
    /// warming up while it has been observed for less than its warm-up (<see cref="WarmingUpUntil"/>); else its budget's.
    /// </summary>
    public ObjectiveStatus Status => NoSeriesSince is not null ? ObjectiveStatus.NoData
        : WarmingUpUntil is not null && Budget.Status != ObjectiveStatus.NoData ? ObjectiveStatus.WarmingUp
        : Budget.Status;

    /// <summary>A new objective: when it has been observed long enough to be judged (<see cref="SlaObjective.WarmingUpUntil"/>).</summary>
    public DateTimeOffset? WarmingUpUntil { get; init; }

    /// <summary>A Prometheus SLI whose series are gone: the end of the last interval it had one (<see cref="SliEvaluator.NoSeriesSince"/>).</summary>
    public DateTimeOffset? NoSeriesSince { get; init; }

    /// <summary>Every figure with a target (each percentile target of latency and vitals SLIs) and its value over the window.</summary>
    public IReadOnlyList<FigureValue> Figures { get; init; } = [];
}

public sealed record FigureValue(SliFigure Figure, double? Value);

/// <summary>A service's card: its objectives, worst first.</summary>
public sealed record ServiceScore(string Service, string Team, IReadOnlyList<ObjectiveScore> Objectives)
{
    public ObjectiveStatus Worst => Objectives.Count == 0 ? ObjectiveStatus.NoData : Objectives.Max(objective => objective.Status);
}

/// <summary>Every service's scorecard at one moment.</summary>
public sealed record ScorecardSet(IReadOnlyList<ServiceScore> Services, DateTimeOffset At, string? WindowOverride);

/// <summary>One objective in depth: its score, the SLI hour by hour (day by day before the raw samples' retention), the budget's burn-down, and what changed where it degraded.</summary>
public sealed record ObjectiveDetail(
    ObjectiveScore Score, IReadOnlyList<SliPoint> Series, IReadOnlyList<SliPoint> BurnDown, Degradation? Degradation, string? PromQl, IReadOnlyList<SlaObjective> Service);

/// <summary>
/// Scorecards from the stored SLI samples (never from the sources): each objective over its window (or one given for
/// all), its error budget, trend and change against the previous period of the same length. Cached until the next
/// evaluation.
/// </summary>
public sealed class Scorecards(SlaCatalogueSource catalogue, SliSampleStore store, WhatChanged whatChanged, PortalCache cache, TimeProvider time)
{
    public static readonly IReadOnlyList<string> Windows = ["7d", "28d", "30d", "month"];

    public static bool IsWindow(string? window) => window is not null && Windows.Contains(window);

    public async Task<ScorecardSet> GetAsync(string? window = null, CancellationToken cancellationToken = default)
    {
        if (catalogue.Current is not { } current)
        {
            return new ScorecardSet([], time.GetUtcNow(), window);
        }
        var states = await store.StatesAsync(cancellationToken);
        var evaluated = states.Count == 0 ? DateTimeOffset.MinValue : states.Values.Max(state => state.EvaluatedAt);
        var key = new { window, loaded = current.LoadedAt, evaluated };
        var cached = await cache.GetOrCreateAsync(CacheOptions.Scorecards, key, async token => await ComputeAsync(current, states, window, token), cancellationToken);
        return cached.Value;
    }

    /// <summary>One objective over its window (or <paramref name="window"/>); null when the catalogue has no such objective.</summary>
    public async Task<ObjectiveDetail?> DetailAsync(string objectiveId, string? window = null, CancellationToken cancellationToken = default)
    {
        if (catalogue.Current?.Objectives.FirstOrDefault(objective => objective.Id == objectiveId) is not { } objective)
        {
            return null;
        }
        var now = time.GetUtcNow();
        var bounds = WindowOf(window ?? objective.Window, now);
        var states = await store.StatesAsync(cancellationToken);
        var samples = (await store.ReadAsync([objective.Id], bounds.PreviousStart, now, cancellationToken))[objective.Id];
        var score = Score(objective, bounds, samples, states.GetValueOrDefault(objective.Id), now);
        var current = samples.Where(sample => sample.At > bounds.Start && sample.At <= now).ToList();
        var figure = score.Figure;

        // Rolled-up days stay days; 5-minute samples are shown by the hour.
        var periods = current.GroupBy(sample => sample.Daily ? sample.At.AddDays(-1) : HourOf(sample.At.AddTicks(-1))).ToList();
        var series = periods.Select(period => new SliPoint(period.Key, SliFigures.Value(objective.Sli, figure, period.ToList()), SliFigures.Compliance(period.ToList()))).ToList();
        var (good, total, burnDown) = (0.0, 0.0, new List<SliPoint>());
        foreach (var period in periods)
        {
            (good, total) = (good + period.Sum(sample => sample.Good), total + period.Sum(sample => sample.Total));
            burnDown.Add(new SliPoint(period.Max(sample => sample.At), total > 0 ? 1 - (1 - good / total) / score.Budget.Budget : null, null));
        }
        var service = catalogue.Current.Objectives.Where(each => each.Service == objective.Service).ToList();
        var degradation = WhatChanged.WorstHour(objective.Sli, current) is { } worst
            ? await whatChanged.ExplainAsync(objective, service, samples, worst.From, worst.To, cancellationToken)
            : null;
        return new ObjectiveDetail(score, series, burnDown, degradation, SliEvaluator.PromQl(objective.Sli), service);
    }

    private static DateTimeOffset HourOf(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);

    public static (DateTimeOffset Start, DateTimeOffset End, DateTimeOffset PreviousStart) WindowOf(string window, DateTimeOffset now)
    {
        if (window == "month")
        {
            var start = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
            return (start, start.AddMonths(1), start.AddMonths(-1));
        }
        var length = TimeSpan.FromDays(int.Parse(window.TrimEnd('d'), System.Globalization.CultureInfo.InvariantCulture));
        return (now - length, now, now - 2 * length);
    }

    private async Task<ScorecardSet> ComputeAsync(SlaCatalogue current, IReadOnlyDictionary<string, SliEvaluationState> states, string? window, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var windows = current.Objectives.ToDictionary(objective => objective.Id, objective => WindowOf(window ?? objective.Window, now));
        var samples = await store.ReadAsync(windows.Keys, windows.Values.Min(bounds => bounds.PreviousStart), now, cancellationToken);
        var services = current.Services
            .Select(service => new ServiceScore(service.Key, service.First().Team, service
                .Select(objective => Score(objective, windows[objective.Id], samples[objective.Id], states.GetValueOrDefault(objective.Id), now))
                .OrderByDescending(score => score.Status).ThenBy(score => score.Objective.Priority, StringComparer.Ordinal)
                .ToList()))
            .OrderByDescending(service => service.Worst).ThenBy(service => service.Service, StringComparer.Ordinal)
            .ToList();
        return new ScorecardSet(services, now, window);
    }

    public static ObjectiveScore Score(
        SlaObjective objective, (DateTimeOffset Start, DateTimeOffset End, DateTimeOffset PreviousStart) window, IReadOnlyList<SliSample> samples,
        SliEvaluationState? state, DateTimeOffset now)
    {
        var current = samples.Where(sample => sample.At > window.Start && sample.At <= now).ToList();
        var previous = samples.Where(sample => sample.At > window.PreviousStart && sample.At <= window.Start).ToList();
        var figure = SliFigures.Headline(objective.Sli);
        var budget = ErrorBudget.Evaluate(objective.Sli.Objective, window.Start, window.End, now, current);
        var trend = current.GroupBy(sample => sample.At.AddTicks(-1).UtcDateTime.Date)
            .Select(day => new SliPoint(new DateTimeOffset(day.Key, TimeSpan.Zero), SliFigures.Value(objective.Sli, figure, day.ToList()), SliFigures.Compliance(day.ToList())))
            .ToList();
        return new ObjectiveScore(objective, figure, SliFigures.Value(objective.Sli, figure, current), SliFigures.Value(objective.Sli, figure, previous),
            SliFigures.Compliance(previous), budget, window.Start, window.End, trend, state)
        {
            Figures = SliFigures.All(objective.Sli).Select(each => new FigureValue(each, SliFigures.Value(objective.Sli, each, current))).ToList(),
            NoSeriesSince = SliEvaluator.NoSeriesSince(objective.Sli, state),
            WarmingUpUntil = objective.WarmingUpUntil(state?.FirstSampleAt, now),
        };
    }

}
