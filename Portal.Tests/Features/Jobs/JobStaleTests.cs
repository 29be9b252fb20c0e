using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Alerts;
using Portal.Features.Jobs;
using Portal.Features.Reports;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Jobs;

/// <summary>
/// One rule of freshness (<see cref="JobFreshness.Of"/>) read four ways: a job that never succeeded, registered three
/// hours ago with an hour's objective, is stale since two hours ago for the Jobs page, the job SLI, the JobStale alert
/// rule and the report alike (the rule once read it as 0 minutes late and could not fire); one that succeeded ten
/// minutes ago is fresh for all four.
/// </summary>
public sealed class JobStaleTests : PortalOnFreshDatabase
{
    private static readonly DateTimeOffset Now = SliEvaluator.Floor(DateTimeOffset.UtcNow);

    protected override void Configure(Dictionary<string, string?> settings) =>
        settings.WithAlertRules("""
            rules:
              - { name: JobStale, source: job, job: "*", severity: warning }
            """);

    protected override async Task SeedAsync(NpgsqlConnection connection) =>
        await connection.ExecuteAsync("""
            INSERT INTO job_definitions (id, title, description, cron, time_zone, queue, timeout_seconds, freshness_seconds, retries, paused, registered_at)
            VALUES ('never-ran', 'Never ran', '', '0 3 * * *', 'UTC', 'default', 60, 3600, false, false, @registered),
                   ('ran', 'Ran', '', '*/5 * * * *', 'UTC', 'default', 60, 3600, false, false, @registered);
            INSERT INTO job_runs (job_id, hangfire_job_id, node, trigger, started_at, finished_at, duration_ms, outcome, error_message)
            VALUES ('ran', '1', 'test', 'schedule', @success, @success, 0, 'succeeded', NULL),
                   ('never-ran', '2', 'test', 'schedule', @failure, @failure, 0, 'failed', 'the export server refused');
            """, new { registered = Now.AddHours(-3), success = Now.AddMinutes(-10), failure = Now.AddMinutes(-50) });

    [Fact]
    public async Task NeverSucceeded_PastItsObjectiveSinceRegistration_StaleForThePageTheSliTheAlertAndTheReport()
    {
        var staleSince = Now.AddHours(-2);

        // The Jobs page and API.
        var overview = (await App.Services.GetRequiredService<JobsService>().GetOverviewAsync()).ToDictionary(job => job.Definition.Id);
        Assert.Equal((false, staleSince), (overview["never-ran"].Freshness.Fresh, overview["never-ran"].Freshness.StaleSince));
        Assert.True(overview["ran"].Freshness.Fresh);

        // The job SLI: every check of the last hour finds never-ran stale and ran fresh.
        var evaluator = App.Services.GetRequiredService<SliEvaluator>();
        var neverRan = await evaluator.EvaluateAsync(new SliSpec { Kind = SliKinds.Job, Job = "never-ran", Objective = 0.99 }, Now.AddHours(-1), Now);
        Assert.Equal(12, neverRan.Count);
        Assert.All(neverRan, sample => Assert.Equal((0d, 1d), (sample.Good, sample.Total)));
        var all = await evaluator.EvaluateAsync(new SliSpec { Kind = SliKinds.Job, Job = "*", Objective = 0.99 }, Now.AddMinutes(-5), Now);
        Assert.Equal((1d, 2d), (Assert.Single(all).Good, all[0].Total));

        // The JobStale rule: 120 minutes late, firing (no `for`); the fresh job 0 and quiet.
        await App.Services.GetRequiredService<AlertEvaluation>().RunAsync(NoJobProgress.Instance, CancellationToken.None, Now);
        var instances = (await App.Services.GetRequiredService<AlertStore>().AllAsync()).ToDictionary(instance => instance.Labels["job"]);
        Assert.Equal((AlertStates.Firing, 120d), (instances["never-ran"].State, instances["never-ran"].Value!.Value));
        Assert.Equal((AlertStates.Inactive, 0d), (instances["ran"].State, instances["ran"].Value!.Value));

        // The report ending now: never-ran stale ("no success recorded") and failed once; ran not named.
        var report = await App.Services.GetRequiredService<BaselineReportBuilder>().BuildAsync(ReportScope.Everything,
            new ReportPeriod(ReportSchedules.Daily, Now.AddDays(-1), Now, "UTC"));
        var jobs = report.Findings.Where(finding => finding.Kind == "job").Select(finding => (finding.Title, finding.Detail)).ToList();
        Assert.Contains(("Job never-ran was stale at the end of the period", "no success recorded"), jobs);
        Assert.Contains(jobs, job => job.Title == "Job never-ran failed once");
        Assert.DoesNotContain(jobs, job => job.Title.Contains("Job ran ", StringComparison.Ordinal));
    }
}
