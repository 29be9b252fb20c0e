using System.Diagnostics;
using Npgsql;
using Portal.Features.Alerts;
using Portal.Features.Scorecards;

namespace Portal.Bench;

/// <summary>
/// An alert rule tried on the past at scale (#29): the fast burn-rate page (1 h / 5 m) of each of the scorecard
/// benchmark's 100 objectives backtested over 30 days of 5-minute SLI samples (8,640 instants each), against one
/// evaluation of the same 100 rules as the alert evaluation runs them, in the same run.
/// </summary>
public static class BacktestBenchmarks
{
    public static async Task RunAsync(IServiceProvider services)
    {
        var catalogue = services.GetRequiredService<SlaCatalogueSource>();
        await catalogue.StartAsync(CancellationToken.None);
        var rows = await ScorecardBenchmarks.BackfillAsync(services.GetRequiredService<NpgsqlDataSource>()); // raw samples, not rolled up
        var ruleSet = new AlertRuleSet("bench", [], AlertRuleSet.DefaultBurnRates, DateTimeOffset.UtcNow);
        var rules = ruleSet.Generated(catalogue.Current).Where(rule => rule.LongWindow == TimeSpan.FromHours(1)).ToList();
        var evaluator = services.GetRequiredService<AlertEvaluator>();
        var backtest = services.GetRequiredService<AlertBacktest>();
        var now = DateTimeOffset.UtcNow;

        async Task<double> EvaluateAllAsync()
        {
            var started = Stopwatch.GetTimestamp();
            foreach (var rule in rules)
            {
                try
                {
                    await evaluator.ObserveAsync(rule, now);
                }
                catch (SourceAnsweredNothingException)
                {
                    // An objective whose series are gone has no value: the timing is what is measured.
                }
            }
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        await EvaluateAllAsync();
        var evaluations = new List<double>();
        for (var run = 0; run < 5; run++)
        {
            evaluations.Add(await EvaluateAllAsync());
        }
        evaluations.Sort();

        var backtests = new List<double>();
        var (instants, intervals) = (0, 0);
        for (var run = 0; run < 3; run++)
        {
            var started = Stopwatch.GetTimestamp();
            (instants, intervals) = (0, 0);
            foreach (var rule in rules)
            {
                var result = await backtest.RunAsync(rule, ruleSet, now.AddDays(-30), now);
                instants += result.Evaluations;
                intervals += result.Intervals.Count;
            }
            backtests.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        backtests.Sort();
        var evaluation = evaluations[evaluations.Count / 2];
        var tried = backtests[backtests.Count / 2];
        Console.WriteLine($"{"backtest: 100 burn-rate rules over 30 days",-44} {tried / evaluation,8:F1}x one evaluation of the 100 rules   " +
            $"(median {tried / 1000:F1} s vs {evaluation:F1} ms; {instants:N0} instants, {rows:N0} samples, {intervals} firing intervals)");
    }
}
