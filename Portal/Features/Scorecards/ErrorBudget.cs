namespace Portal.Features.Scorecards;

public enum ObjectiveStatus
{
    NoData,
    WarmingUp,
    Met,
    AtRisk,
    Breached,
}

/// <summary>An objective's error budget over its window, and how fast it is burning.</summary>
/// <param name="Compliance">The share of good events in the window so far.</param>
/// <param name="Budget">The share of events allowed to be bad: 1 − objective.</param>
/// <param name="Consumed">The share of the budget used: the bad share over the budget (above 1: breached).</param>
/// <param name="BurnRates">Bad share over the budget in the last 1h, 6h, 1d and 3d (1 uses exactly the budget over a window).</param>
/// <param name="RunsOutAt">When the remaining budget is gone at the last day's burn rate (null when it is not burning).</param>
public sealed record BudgetReport(
    double? Compliance, double Budget, double? Consumed, double? Remaining, IReadOnlyDictionary<string, double?> BurnRates, DateTimeOffset? RunsOutAt, ObjectiveStatus Status);

/// <summary>Error budget arithmetic (the SRE workbook's): pure, so that every figure can be worked by hand in tests.</summary>
public static class ErrorBudget
{
    public static readonly IReadOnlyList<(string Name, TimeSpan Span)> BurnWindows =
    [
        ("1h", TimeSpan.FromHours(1)), ("6h", TimeSpan.FromHours(6)), ("1d", TimeSpan.FromDays(1)), ("3d", TimeSpan.FromDays(3)),
    ];

    /// <summary>A burn this fast is an incident in progress (the workbook's paging thresholds): 2 % of a 30-day budget in an hour, 5 % in six.</summary>
    public const double FastBurn1h = 14.4;
    public const double FastBurn6h = 6;

    /// <param name="windowStart">The window's start: now − its length when rolling, the month's first instant for a calendar month.</param>
    /// <param name="windowEnd">The window's end: now when rolling, the next month's first instant for a calendar month.</param>
    public static BudgetReport Evaluate(double objective, DateTimeOffset windowStart, DateTimeOffset windowEnd, DateTimeOffset now, IReadOnlyList<SliSample> samples)
    {
        var budget = 1 - objective;
        var inWindow = samples.Where(sample => sample.At > windowStart && sample.At <= now).ToList();
        var total = inWindow.Sum(sample => sample.Total);
        var burnRates = BurnWindows.ToDictionary(window => window.Name, window => BurnRate(inWindow, now - window.Span, budget));
        if (total <= 0)
        {
            return new BudgetReport(null, budget, null, null, burnRates, null, ObjectiveStatus.NoData);
        }

        var compliance = inWindow.Sum(sample => sample.Good) / total;
        var anyBad = 1 - compliance > Tolerance;
        // A 100 % objective has no budget: one bad event spends all of it.
        var consumed = budget > 0 ? (1 - compliance) / budget : anyBad ? 1 : 0;
        var remaining = 1 - consumed;
        var length = windowEnd - windowStart;
        var daily = burnRates["1d"];
        // At burn rate b the whole budget lasts one window length / b: the remaining share lasts that much of it.
        DateTimeOffset? runsOut = remaining > 0 && daily > 0 ? now + length * (remaining / daily.Value) : null;
        var windowLeft = windowEnd > now ? windowEnd - now : length; // a rolling window always has a whole window ahead
        var status = remaining < 0 || (budget <= 0 && anyBad) ? ObjectiveStatus.Breached
            : burnRates["1h"] >= FastBurn1h || burnRates["6h"] >= FastBurn6h || runsOut < now + windowLeft ? ObjectiveStatus.AtRisk
            : ObjectiveStatus.Met;
        return new BudgetReport(compliance, budget, consumed, remaining, burnRates, runsOut, status);
    }

    private static double? BurnRate(IEnumerable<SliSample> samples, DateTimeOffset since, double budget)
    {
        var recent = samples.Where(sample => sample.At > since).ToList();
        var total = recent.Sum(sample => sample.Total);
        if (total <= 0)
        {
            return null;
        }
        var bad = 1 - recent.Sum(sample => sample.Good) / total;
        return budget > 0 ? bad / budget : bad > Tolerance ? null : 0; // without a budget, any burn is infinitely fast: not a number
    }

    // Sums of fractional good counts (0.995 of 100 requests) leave rounding dust: smaller than this is nothing bad.
    private const double Tolerance = 1e-12;
}
