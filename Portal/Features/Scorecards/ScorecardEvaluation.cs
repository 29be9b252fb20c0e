using Microsoft.Extensions.Options;
using Portal.Features.Jobs;

namespace Portal.Features.Scorecards;

/// <summary>
/// The scorecard-evaluation job's work: every objective of the catalogue in force evaluated from where it stopped (at
/// most <see cref="ScorecardOptions.CatchUpHours"/> back) to the last whole 5-minute interval a minute old (its sources
/// have written it by then). An objective whose source is down is noted and retried next time; the others go on.
/// </summary>
public sealed class ScorecardEvaluation(
    SlaCatalogueSource catalogue, SliEvaluator evaluator, SliSampleStore store, IOptions<ScorecardOptions> options, TimeProvider time, ILogger<ScorecardEvaluation> logger)
{
    public async Task<string> RunAsync(IJobProgress progress, CancellationToken cancellationToken)
    {
        if (catalogue.Current is not { } current)
        {
            throw new InvalidOperationException($"No SLA catalogue is in force: {string.Join("; ", catalogue.Errors)}");
        }
        var to = SliEvaluator.Floor(time.GetUtcNow() - SliEvaluator.SnapshotLateness);
        var earliest = to - TimeSpan.FromHours(options.Value.CatchUpHours);
        var states = await store.StatesAsync(cancellationToken);
        var (samples, failed) = (0, new List<string>());
        foreach (var (objective, index) in current.Objectives.Select((objective, index) => (objective, index)))
        {
            await progress.ReportAsync(100 * index / current.Objectives.Count, objective.Id, cancellationToken);
            var from = states.TryGetValue(objective.Id, out var state) && state.EvaluatedThrough > earliest ? state.EvaluatedThrough : earliest;
            if (from >= to)
            {
                continue;
            }
            try
            {
                var evaluated = await evaluator.EvaluateAsync(objective.Sli, from, to, cancellationToken);
                await store.WriteAsync(objective.Id, from, to, evaluated, cancellationToken);
                samples += evaluated.Count;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "SLI of objective {Objective} could not be evaluated", objective.Id);
                await store.FailedAsync(objective.Id, ex.Message, cancellationToken);
                failed.Add($"{objective.Id}: {ex.Message}");
            }
        }
        var summary = $"{current.Objectives.Count} objectives evaluated through {to:HH:mm} UTC, {samples:N0} samples";
        return failed.Count == 0 ? summary
            : throw new InvalidOperationException($"{failed.Count} of {current.Objectives.Count} objectives could not be evaluated ({string.Join("; ", failed)}); {summary}");
    }

    /// <summary>The nightly rollup of SLI samples into daily rows, and their retention.</summary>
    public Task<int> RollUpAsync(CancellationToken cancellationToken) => store.RollUpAsync(
        time.GetUtcNow(), TimeSpan.FromDays(options.Value.RawRetentionDays), TimeSpan.FromDays(options.Value.DailyRetentionDays), cancellationToken);
}
