using System.Globalization;
using Portal.Components;

namespace Portal.Features.Lab;

public static class ReadinessVerdicts
{
    public const string Yes = "Yes";
    public const string No = "No";
    public const string NotTested = "Not tested";
}

/// <summary>The readiness verdict and why: the run it rests on, if any.</summary>
public sealed record Readiness(string Verdict, string Reason, LoadTestRecord? Run);

/// <summary>
/// "Ready for N+ users": the one rule the report's executive summary and the Load tests page judge by. The latest run
/// at or above <c>users</c> concurrent users decides: Yes when its p95 (or the next percentile its tool reported above
/// it) and its error rate met their targets and none of its own thresholds failed; otherwise No, naming what missed.
/// Without such a run: Not tested, naming the largest run there was.
/// </summary>
public static class ReadinessRule
{
    public static Readiness Judge(IReadOnlyList<LoadTestRecord> runs, int users, double p95TargetMs, double errorRateTarget)
    {
        var qualifying = runs.Where(run => run.Run.Users >= users).MaxBy(run => (run.Run.StartedAt, run.Id));
        if (qualifying is null)
        {
            var largest = runs.MaxBy(run => (run.Run.Users, run.Run.StartedAt));
            return new Readiness(ReadinessVerdicts.NotTested, largest is null
                ? $"no load test in the period; the verdict needs a run at {users:N0}+ concurrent users"
                : $"the largest load test had {largest.Run.Users:N0} concurrent users ({largest.Scenario}, {largest.Run.Tool}); the verdict needs {users:N0}+", null);
        }
        var run = qualifying.Run;
        var misses = new List<string>();
        if (run.P95OrAbove is not var (name, ms))
        {
            misses.Add("its tool reported no percentile at or above p95");
        }
        else if (ms > p95TargetMs)
        {
            misses.Add($"{name} {Durations.Milliseconds(ms)} over the {Durations.Milliseconds(p95TargetMs)} target");
        }
        if (run.ErrorRate > errorRateTarget)
        {
            misses.Add($"error rate {Percent(run.ErrorRate)} over the {Percent(errorRateTarget)} target");
        }
        if (run.Thresholds.Where(threshold => !threshold.Value).Select(threshold => threshold.Key).ToList() is { Count: > 0 } failed)
        {
            misses.Add($"its threshold{(failed.Count == 1 ? "" : "s")} {string.Join(", ", failed)} failed");
        }
        var about = $"{qualifying.Scenario} at {run.Users:N0} concurrent users ({run.Tool}, {run.StartedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)})";
        return misses.Count == 0
            ? new Readiness(ReadinessVerdicts.Yes, $"{about}: {run.P95OrAbove!.Value.Name} {Durations.Milliseconds(run.P95OrAbove.Value.Ms)}, error rate {Percent(run.ErrorRate)}", qualifying)
            : new Readiness(ReadinessVerdicts.No, $"{about}: {string.Join("; ", misses)}", qualifying);
    }

    public static string Percent(double share) => string.Create(CultureInfo.InvariantCulture, $"{share * 100:0.###} %");
}
