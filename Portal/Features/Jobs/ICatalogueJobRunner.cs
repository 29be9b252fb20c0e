using Hangfire;
using Hangfire.Server;

namespace Portal.Features.Jobs;

/// <summary>
/// What Hangfire invokes for every catalogue job; the worker implements it. Hangfire stores the invoked type's name
/// with each recurring job, and the web process must load that type to trigger a job ("Run now"), so the type lives
/// here, in the assembly both processes have, not in the worker's.
/// </summary>
public interface ICatalogueJobRunner
{
    [JobDisplayName("{0}")]
    Task<string?> RunAsync(string jobId, PerformContext? context, CancellationToken cancellationToken);

    /// <summary>For jobs whose next fire comes soon enough that a retry would only blur the picture.</summary>
    [JobDisplayName("{0}")]
    [AutomaticRetry(Attempts = 0)]
    Task<string?> RunOnceAsync(string jobId, PerformContext? context, CancellationToken cancellationToken);
}
