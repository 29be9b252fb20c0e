using System.Diagnostics;

namespace Portal.Bench;

/// <summary>
/// A measured operation and the baseline it is compared with, both timed in the same run on the same machine:
/// these machines are shared and noisy, so only the ratio means something across runs.
/// </summary>
public sealed record Benchmark(string Name, string BaselineName, Func<Task> Operation, Func<Task> Baseline)
{
    public async Task<BenchmarkResult> RunAsync(int iterations)
    {
        // Interleave operation and baseline so a burst of noise hits both alike.
        await Operation();
        await Baseline();
        var operation = new List<double>(iterations);
        var baseline = new List<double>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            operation.Add(await TimeAsync(Operation));
            baseline.Add(await TimeAsync(Baseline));
        }
        return new BenchmarkResult(this, Median(operation), Median(baseline));
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var started = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static double Median(List<double> samples)
    {
        samples.Sort();
        var middle = samples.Count / 2;
        return samples.Count % 2 == 1 ? samples[middle] : (samples[middle - 1] + samples[middle]) / 2;
    }
}

public sealed record BenchmarkResult(Benchmark Benchmark, double MedianMs, double BaselineMedianMs)
{
    public double Ratio => MedianMs / BaselineMedianMs;

    public override string ToString() =>
        $"{Benchmark.Name,-44} {Ratio,8:F2}x {Benchmark.BaselineName}   (median {MedianMs:F3} ms vs {BaselineMedianMs:F3} ms)";
}
