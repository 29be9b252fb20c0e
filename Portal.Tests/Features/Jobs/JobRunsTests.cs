using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Bunit;
using MudBlazor.Services;
using Microsoft.Extensions.DependencyInjection;
using Portal.Features.Auth;
using Portal.Features.Jobs;
using Portal.Tests.Infrastructure;
using Portal.Tests.Worker;

namespace Portal.Tests.Features.Jobs;

public sealed class JobRunsFixture : IAsyncLifetime
{
    public RunningPortal Running { get; private set; } = null!;

    public async Task InitializeAsync() => Running = await RunningPortal.StartAsync(
        worker: TestJobs.AddTo,
        settings: new Dictionary<string, string?> { ["Jobs:RetryDelaysSeconds:0"] = "1", ["Jobs:RetryDelaysSeconds:1"] = "1" });

    public async Task DisposeAsync() => await Running.DisposeAsync();
}

public sealed class JobRunsTests(JobRunsFixture fixture) : IClassFixture<JobRunsFixture>
{
    private PortalApp Portal => fixture.Running.Portal;

    private JobRunStore Runs => Portal.Services.GetRequiredService<JobRunStore>();

    private async Task<ClaimsPrincipal> AdminAsync()
    {
        var account = await Portal.CreateAsync(PortalRoles.Admin);
        var user = await Portal.Services.GetRequiredService<UserStore>().FindByIdAsync(account.Id);
        return PortalPrincipal.Create(user!, PortalRoles.Admin, PortalPrincipal.Password, "test");
    }

    private async Task<IReadOnlyList<JobRun>> WaitForRunsAsync(string jobId, Func<IReadOnlyList<JobRun>, bool> done, string what, int seconds = 20)
    {
        IReadOnlyList<JobRun> runs = [];
        await Eventually.HoldsAsync(async () => done(runs = await Runs.GetRunsAsync(new JobRunQuery(jobId))), TimeSpan.FromSeconds(seconds), what);
        return runs;
    }

    [Fact]
    public void EveryCatalogueJob_ResolvesInTheWorkersContainer()
    {
        // The web process's container is not the worker's: report-delivery failed on every fire in the worker
        // ("Unable to resolve service for type UserStore") while its tests, run from the web process, passed.
        using var scope = fixture.Running.Worker.Services.CreateScope();
        Assert.All(global::Portal.Jobs.Catalogue.Jobs, job => Assert.NotNull(ActivatorUtilities.GetServiceOrCreateInstance(scope.ServiceProvider, job.JobType)));
    }

    [Fact]
    public async Task ScheduledJob_EverySecond_RecordedWithOutcomeDurationAndSummary()
    {
        var runs = await WaitForRunsAsync("heartbeat", runs => runs.Count(run => run.Outcome == JobOutcomes.Succeeded) >= 3, "three heartbeat runs succeeded");

        var succeeded = runs.Where(run => run.Outcome == JobOutcomes.Succeeded).ToList();
        Assert.All(succeeded, run =>
        {
            Assert.Equal(JobTriggers.Schedule, run.Trigger);
            Assert.Equal(WorkerIdentity.Current.Node, run.Node);
            Assert.Equal($"{run.Node} is alive", run.Summary);
            Assert.NotNull(run.FinishedAt);
            Assert.Equal((run.FinishedAt!.Value - run.StartedAt).TotalMilliseconds, run.DurationMs!.Value, 1.0);
            Assert.Equal((short?)100, run.ProgressPercent);
        });
        Assert.Equal(succeeded.Count, succeeded.Select(run => run.HangfireJobId).Distinct().Count()); // one row per fire
    }

    [Fact]
    public async Task FailingJob_RetriedPerPolicyThenRecordedFailed()
    {
        var (result, _) = await Portal.Services.GetRequiredService<JobsService>().RunNowAsync(await AdminAsync(), TestJobs.Failing);
        Assert.Equal(JobCommandResult.Done, result);

        // Jobs:RetryDelaysSeconds has two entries here: the first attempt and two retries.
        var runs = await WaitForRunsAsync(TestJobs.Failing, runs => runs.Count(run => run.Outcome == JobOutcomes.Failed) == 3, "three failed attempts", 40);

        Assert.Equal([2, 1, 0], runs.Select(run => run.Attempt));
        Assert.Equal([JobTriggers.Retry, JobTriggers.Retry, JobTriggers.Manual], runs.Select(run => run.Trigger));
        Assert.All(runs, run =>
        {
            Assert.Equal("System.InvalidOperationException", run.ErrorType);
            Assert.Equal("disk full on /var/lib/test", run.ErrorMessage);
            Assert.Contains("FailingJob.RunAsync", run.ErrorStack, StringComparison.Ordinal);
        });
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(3, (await Runs.GetRunsAsync(new JobRunQuery(TestJobs.Failing))).Count); // no fourth attempt

        // The failures view shows the error and, opened, its stack.
        await using var bunit = new BunitContext();
        bunit.Services.AddMudServices();
        bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        bunit.Render<MudBlazor.MudPopoverProvider>();
        var view = bunit.Render<RunsTable>(parameters => parameters.Add(table => table.Runs, runs).Add(table => table.ShowErrors, true));
        Assert.Contains("System.InvalidOperationException: disk full on /var/lib/test", view.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunNow_FromTheWeb_ExecutesOnTheWorkerRecordingWhoAsked()
    {
        var admin = await AdminAsync();

        var (result, hangfireJobId) = await Portal.Services.GetRequiredService<JobsService>().RunNowAsync(admin, TestJobs.Slow);

        Assert.Equal(JobCommandResult.Done, result);
        var runs = await WaitForRunsAsync(TestJobs.Slow, runs => runs.Any(run => run.HangfireJobId == hangfireJobId && run.Outcome == JobOutcomes.Succeeded), "the manual run succeeded");
        var run = runs.Single(run => run.HangfireJobId == hangfireJobId);
        Assert.Equal(JobTriggers.Manual, run.Trigger);
        Assert.Equal(admin.Identity!.Name, run.TriggeredBy);
        Assert.Equal("processed 5 batches", run.Summary);
        Assert.Equal((short?)100, run.ProgressPercent);
    }

    [Fact]
    public async Task JobOverItsTimeout_IsCancelledAndRecordedTimedOut()
    {
        var (_, hangfireJobId) = await Portal.Services.GetRequiredService<JobsService>().RunNowAsync(await AdminAsync(), TestJobs.Overrunning);

        var runs = await WaitForRunsAsync(TestJobs.Overrunning, runs => runs.Any(run => run.HangfireJobId == hangfireJobId && run.Outcome != JobOutcomes.Running), "the run ended");

        var run = runs.Single(run => run.HangfireJobId == hangfireJobId);
        Assert.Equal(JobOutcomes.TimedOut, run.Outcome);
        Assert.Equal("The job ran longer than its time-out of 00:00:01 and was cancelled.", run.ErrorMessage);
        Assert.InRange(run.DurationMs!.Value, 900, 10_000); // cancelled at its 1 s time-out, not after the 30 s it asked for
    }

    [Fact]
    public async Task RunNowTwice_WhileTheFirstRuns_TheSecondIsSkippedNotRunConcurrently()
    {
        var service = Portal.Services.GetRequiredService<JobsService>();
        var admin = await AdminAsync();

        var (_, first) = await service.RunNowAsync(admin, TestJobs.Slow);
        await WaitForRunsAsync(TestJobs.Slow, runs => runs.Any(run => run.HangfireJobId == first && run.Outcome == JobOutcomes.Running), "the first run started");
        var (_, second) = await service.RunNowAsync(admin, TestJobs.Slow);

        var runs = await WaitForRunsAsync(TestJobs.Slow, runs => runs.Count(run => (run.HangfireJobId == first || run.HangfireJobId == second) && run.FinishedAt is not null) == 2, "both runs ended");
        Assert.Equal(JobOutcomes.Succeeded, runs.Single(run => run.HangfireJobId == first).Outcome);
        var skipped = runs.Single(run => run.HangfireJobId == second);
        Assert.Equal(JobOutcomes.Skipped, skipped.Outcome);
        Assert.Equal("skipped: the previous run is still running", skipped.Summary);
    }

    [Fact]
    public async Task Pause_RecordsFiresAsSkippedAndResumeRestartsThem()
    {
        var service = Portal.Services.GetRequiredService<JobsService>();
        var admin = await AdminAsync();

        await service.SetPausedAsync(admin, "heartbeat", true);
        var pausedAt = DateTimeOffset.UtcNow;
        try
        {
            await WaitForRunsAsync("heartbeat", runs => runs.Any(run => run.Outcome == JobOutcomes.Skipped && run.StartedAt > pausedAt), "a fire recorded as skipped");
            await Task.Delay(TimeSpan.FromSeconds(2));
            var whilePaused = await Runs.GetRunsAsync(new JobRunQuery("heartbeat", Since: pausedAt.AddSeconds(1.5)));
            Assert.All(whilePaused, run => Assert.Equal(JobOutcomes.Skipped, run.Outcome));
            Assert.Equal(JobCommandResult.Paused, (await service.RunNowAsync(admin, "heartbeat")).Result);
        }
        finally
        {
            await service.SetPausedAsync(admin, "heartbeat", false);
        }
        var resumedAt = DateTimeOffset.UtcNow;

        await WaitForRunsAsync("heartbeat", runs => runs.Any(run => run.Outcome == JobOutcomes.Succeeded && run.StartedAt > resumedAt), "a run succeeded after resume");
        var audit = await Portal.Services.GetRequiredService<Portal.Features.Audit.AuditLog>().QueryAsync(new(Actor: admin.Identity!.Name), 0, 10);
        Assert.Equal(["job.resume", "job.pause"], audit.Entries.Where(entry => entry.Subject == "heartbeat").Select(entry => entry.Action).Take(2));
    }

    [Fact]
    public async Task Api_ListsJobsAndAnswersRunNowWith404And409()
    {
        await WaitForRunsAsync("heartbeat", runs => runs.Any(run => run.Outcome == JobOutcomes.Succeeded), "a heartbeat succeeded");
        using var client = SignIn.NewClient(Portal.BaseAddress);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await Portal.TokenAsync(PortalRoles.Admin));

        var jobs = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/jobs", UriKind.Relative));
        var heartbeat = jobs.EnumerateArray().Single(job => job.GetProperty("id").GetString() == "heartbeat");
        Assert.Equal("every second", heartbeat.GetProperty("schedule").GetString());
        Assert.True(heartbeat.GetProperty("fresh").GetBoolean());
        // Every second, the latest run may be one in flight (on a busy machine it often is); the freshness above needs a success.
        Assert.Contains(heartbeat.GetProperty("lastRun").GetProperty("outcome").GetString(), new[] { JobOutcomes.Succeeded, JobOutcomes.Running });
        Assert.True(heartbeat.GetProperty("nextRunAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddSeconds(-5));

        using var unknown = await client.PostAsync(new Uri("/api/v1/jobs/no-such-job/run", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var badOutcome = await client.GetAsync(new Uri("/api/v1/jobs/heartbeat/runs?outcome=exploded", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, badOutcome.StatusCode);
        Assert.Contains("outcome must be one of", await badOutcome.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        (await client.PostAsync(new Uri($"/api/v1/jobs/{TestJobs.Slow}/pause", UriKind.Relative), null)).EnsureSuccessStatusCode();
        using var paused = await client.PostAsync(new Uri($"/api/v1/jobs/{TestJobs.Slow}/run", UriKind.Relative), null);
        (await client.PostAsync(new Uri($"/api/v1/jobs/{TestJobs.Slow}/resume", UriKind.Relative), null)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Conflict, paused.StatusCode);
    }

    [Fact]
    public async Task WorkerMetrics_CarryRunsByOutcomeAndLastSuccess()
    {
        await WaitForRunsAsync("heartbeat", runs => runs.Any(run => run.Outcome == JobOutcomes.Succeeded), "a heartbeat succeeded");
        using var http = new HttpClient { BaseAddress = fixture.Running.Worker.BaseAddress };

        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Matches(@"portal_job_runs_total\{job=""heartbeat"",outcome=""succeeded""\} [1-9]", metrics);
        Assert.Matches(@"portal_job_duration_seconds_count\{job=""heartbeat""\} [1-9]", metrics);
        var lastSuccess = double.Parse(System.Text.RegularExpressions.Regex.Match(metrics, @"portal_job_last_success_timestamp_seconds\{job=""heartbeat""\} (\S+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 - lastSuccess, 0, 10);
        var sinceLastSuccess = double.Parse(System.Text.RegularExpressions.Regex.Match(metrics, @"portal_job_seconds_since_last_success\{job=""heartbeat""\} (\S+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(sinceLastSuccess, 0, 10);
    }
}
