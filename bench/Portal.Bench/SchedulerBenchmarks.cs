using System.Collections.Concurrent;
using System.Diagnostics;
using Hangfire;
using Hangfire.Storage;

namespace Portal.Bench;

/// <summary>What the scheduler benchmarks execute: nothing, so only Hangfire's own cost is measured.</summary>
public static class NoOpJob
{
    public static readonly ConcurrentDictionary<string, long> Started = new();

    public static void Run()
    {
    }

    /// <summary>Records when it started (Stopwatch ticks), keyed by a marker the benchmark passes.</summary>
    public static void Mark(string marker) => Started[marker] = Stopwatch.GetTimestamp();
}

/// <summary>
/// Hangfire on the portal's PostgreSQL storage: no-op jobs per second through one and through two servers, against
/// calling the method directly; and the latency from TriggerJob to the job's start.
/// </summary>
public static class SchedulerBenchmarks
{
    public static async Task RunAsync(JobStorage storage, int jobs)
    {
        // Baseline: the method itself, called in a loop.
        var direct = Stopwatch.StartNew();
        for (var i = 0; i < jobs * 1000; i++)
        {
            NoOpJob.Run();
        }
        var directPerJob = direct.Elapsed.TotalMilliseconds / (jobs * 1000);

        foreach (var servers in new[] { 1, 2 })
        {
            var perJob = await ThroughputAsync(storage, servers, jobs);
            Console.WriteLine($"{$"hangfire: no-op jobs through {servers} server(s)",-44} {perJob / directPerJob,8:N0}x direct call   ({1000 / perJob:N0} jobs/s vs {1000 / directPerJob:N0} calls/s)");
        }

        var (p50, p99, roundTrip) = await TriggerLatencyAsync(storage, jobs / 4);
        Console.WriteLine($"{"hangfire: TriggerJob to start, p50",-44} {p50 / roundTrip,8:N1}x storage read   (p50 {p50:N1} ms, p99 {p99:N1} ms; one storage read {roundTrip:N2} ms)");
    }

    private static async Task<double> ThroughputAsync(JobStorage storage, int servers, int jobs)
    {
        var client = new BackgroundJobClient(storage);
        var ids = Enumerable.Range(0, jobs).Select(_ => client.Enqueue(() => NoOpJob.Run())).ToList();
        var started = Stopwatch.StartNew();
        var running = Enumerable.Range(0, servers).Select(index => new BackgroundJobServer(
            new BackgroundJobServerOptions { ServerName = $"bench-{servers}-{index}", WorkerCount = 4, SchedulePollingInterval = TimeSpan.FromSeconds(1) }, storage)).ToList();
        try
        {
            using var connection = storage.GetConnection();
            while (ids.Any(id => connection.GetStateData(id)?.Name != "Succeeded"))
            {
                await Task.Delay(20);
            }
            return started.Elapsed.TotalMilliseconds / jobs;
        }
        finally
        {
            foreach (var server in running)
            {
                server.SendStop();
                server.Dispose();
            }
        }
    }

    private static async Task<(double P50, double P99, double RoundTripMs)> TriggerLatencyAsync(JobStorage storage, int triggers)
    {
        using var server = new BackgroundJobServer(new BackgroundJobServerOptions { ServerName = "bench-trigger", WorkerCount = 4 }, storage);
        var manager = new RecurringJobManager(storage);
        var latencies = new List<double>();
        for (var i = 0; i < triggers; i++)
        {
            var marker = $"trigger-{i}";
            manager.AddOrUpdate($"bench-{marker}", () => NoOpJob.Mark(marker), Cron.Never());
            var triggeredAt = Stopwatch.GetTimestamp();
            manager.TriggerJob($"bench-{marker}");
            while (!NoOpJob.Started.ContainsKey(marker))
            {
                await Task.Delay(1);
            }
            latencies.Add(Stopwatch.GetElapsedTime(triggeredAt, NoOpJob.Started[marker]).TotalMilliseconds);
            manager.RemoveIfExists($"bench-{marker}");
        }
        latencies.Sort();

        using var connection = storage.GetConnection();
        var roundTrips = new List<double>();
        for (var i = 0; i < 50; i++)
        {
            var started = Stopwatch.GetTimestamp();
            connection.GetStateData("0");
            roundTrips.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        roundTrips.Sort();
        return (latencies[latencies.Count / 2], latencies[(int)Math.Ceiling(latencies.Count * 0.99) - 1], roundTrips[roundTrips.Count / 2]);
    }
}
