using System.Linq.Expressions;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.Options;
using Portal.Features.Jobs;

namespace Portal.Jobs;

/// <summary>
/// At worker start, makes storage match the catalogue: each job added or updated in Hangfire and in
/// <c>job_definitions</c> (where the web process reads it), and recurring jobs no longer listed removed.
/// </summary>
public sealed class CatalogueSync(
    IEnumerable<JobDefinition> catalogue,
    IRecurringJobManager recurringJobs,
    JobStorage storage,
    JobRunStore runs,
    IOptions<JobsOptions> options,
    ILogger<CatalogueSync> logger) : IHostedService
{
    public string CronOf(JobDefinition definition) => options.Value.Schedules.GetValueOrDefault(definition.Id) ?? definition.Cron;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var definitions = catalogue.ToList();
        foreach (var definition in definitions)
        {
            var id = definition.Id;
            Expression<Func<ICatalogueJobRunner, Task>> run = definition.Retries
                ? runner => runner.RunAsync(id, null, CancellationToken.None)
                : runner => runner.RunOnceAsync(id, null, CancellationToken.None);
            recurringJobs.AddOrUpdate(id, definition.Queue, run, CronOf(definition), new RecurringJobOptions { TimeZone = definition.TimeZone });
        }

        using (var connection = storage.GetConnection())
        {
            foreach (var stale in connection.GetRecurringJobs().Select(job => job.Id).Except(definitions.Select(definition => definition.Id)))
            {
                logger.LogInformation("Removing recurring job {JobId}: no longer in the catalogue", stale);
                recurringJobs.RemoveIfExists(stale);
            }
        }

        await runs.SyncDefinitionsAsync(definitions.Select(definition => new JobDefinitionRow
        {
            Id = definition.Id,
            Title = definition.Title,
            Description = definition.Description,
            Cron = CronOf(definition),
            TimeZone = definition.TimeZone.Id,
            Queue = definition.Queue,
            TimeoutSeconds = (int)definition.Timeout.TotalSeconds,
            FreshnessSeconds = (int)definition.Freshness.TotalSeconds,
            Retries = definition.Retries,
            Paused = false,
        }).ToList(), cancellationToken);
        await JobRunRecorder.PublishLastSuccessesAsync(runs, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
