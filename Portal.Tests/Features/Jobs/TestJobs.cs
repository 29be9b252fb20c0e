using Microsoft.Extensions.DependencyInjection;
using Portal.Jobs;

namespace Portal.Tests.Features.Jobs;

/// <summary>Jobs that exist only in tests, added to an in-process worker's catalogue.</summary>
public static class TestJobs
{
    public const string Failing = "test-failing";
    public const string Slow = "test-slow";

    /// <summary>Scheduled yearly: they run when a test triggers them.</summary>
    public static void AddTo(IServiceCollection services)
    {
        services.AddSingleton(new JobDefinition(Failing, "Always fails", "Throws, to exercise retries and the failures view.",
            "0 0 1 1 *", typeof(FailingJob), Timeout: TimeSpan.FromSeconds(30), Freshness: TimeSpan.FromDays(400)));
        services.AddSingleton(new JobDefinition(Slow, "Reports progress", "Five batches of half a second, reporting progress after each.",
            "0 0 1 1 *", typeof(SlowJob), Timeout: TimeSpan.FromSeconds(30), Freshness: TimeSpan.FromDays(400), Retries: false));
    }

    public sealed class FailingJob : IPortalJob
    {
        public Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("disk full on /var/lib/test");
    }

    public sealed class SlowJob : IPortalJob
    {
        public async Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            for (var batch = 1; batch <= 5; batch++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(600), cancellationToken);
                await context.Progress.ReportAsync(batch * 20, $"batch {batch} of 5", cancellationToken);
            }
            return "processed 5 batches";
        }
    }
}
