using Portal.Features.Jobs;

namespace Portal.Jobs;

/// <summary>A job the catalogue schedules: its implementation receives the run's progress reporter and returns its summary line.</summary>
public interface IPortalJob
{
    Task<string?> RunAsync(JobContext context, CancellationToken cancellationToken);
}

/// <param name="HangfireJobId">Hangfire's id of this fire (one id per fire; a retry keeps it).</param>
public sealed record JobContext(string JobId, string? HangfireJobId, IJobProgress Progress);

/// <summary>One recurring job: what it is, when it runs, how long it may take, and how fresh its output must stay.</summary>
public sealed record JobDefinition(
    string Id,
    string Title,
    string Description,
    string Cron,
    Type JobType,
    TimeSpan Timeout,
    TimeSpan Freshness,
    bool Retries = true,
    string Queue = "default")
{
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;
}

/// <summary>Every recurring job of the portal, in one place. Schedules can be overridden per job with <c>Jobs:Schedules:{id}</c>.</summary>
public static class Catalogue
{
    public static IReadOnlyList<JobDefinition> Jobs { get; } =
    [
        new("heartbeat", "Worker heartbeat",
            "Records that a worker is alive and running jobs; the Overview turns the worker stale without it.",
            "*/15 * * * * *", typeof(HeartbeatJob), Timeout: TimeSpan.FromSeconds(10), Freshness: TimeSpan.FromMinutes(1),
            Retries: false), // the next beat is due in seconds: a retry would only blur the picture
        new("cache-cleanup", "Cache clean-up",
            "Deletes expired results from the cache's PostgreSQL tier, in batches.",
            "*/10 * * * *", typeof(CacheCleanupJob), Timeout: TimeSpan.FromMinutes(5), Freshness: TimeSpan.FromMinutes(30)),
        new("redis-samples", "Redis samples",
            "Reads the portal's Redis statistics (INFO) for the Cache page's trends; keeps 30 days.",
            "* * * * *", typeof(RedisSamplesJob), Timeout: TimeSpan.FromSeconds(30), Freshness: TimeSpan.FromMinutes(5), Retries: false),
        new("query-snapshots", "Query statistics snapshots",
            "Reads pg_stat_statements on every target and stores what moved since the last snapshot (the target's statistics are never reset).",
            "*/5 * * * *", typeof(QuerySnapshotsJob), Timeout: TimeSpan.FromMinutes(2), Freshness: TimeSpan.FromMinutes(15)),
        new(ActivitySamplesJob.Id, "Activity samples",
            "Reads every target's pg_stat_activity every 10 seconds: sessions by state, wait event and statement, and lock waits with their blocker (the Queries' activity history); folded into hourly rows after Queries:ActivityRawDays.",
            "*/10 * * * * *", typeof(ActivitySamplesJob), Timeout: TimeSpan.FromSeconds(9), Freshness: TimeSpan.FromMinutes(2),
            Retries: false), // the next sample is seconds away
        new("plan-history", "Plan history",
            "EXPLAINs (generic plan, no ANALYZE, read-only) each target's top statements of the last hour by total time and records every distinct plan with when it was first and last seen: a new plan of a statement is a plan change.",
            "7-59/15 * * * *", typeof(PlanHistoryJob), Timeout: TimeSpan.FromMinutes(5), Freshness: TimeSpan.FromMinutes(45)),
        new("scorecard-evaluation", "Scorecard evaluation",
            "Evaluates every SLA objective of slas.yaml for the 5-minute intervals since its last evaluation (catching up at most Scorecards:CatchUpHours) and stores its SLI samples. Runs a minute past each 5-minute mark, when the sources have written the interval.",
            "1-59/5 * * * *", typeof(ScorecardEvaluationJob), Timeout: TimeSpan.FromMinutes(4), Freshness: TimeSpan.FromMinutes(15),
            Retries: false), // the next run catches up whatever this one could not read
        new("alert-evaluation", "Alert evaluation",
            "Reads every alert rule of alerts.yaml and the burn-rate rules of the SLA objectives, and moves each alert between inactive, pending and firing.",
            "* * * * *", typeof(AlertEvaluationJob), Timeout: TimeSpan.FromSeconds(50), Freshness: TimeSpan.FromMinutes(5),
            Retries: false), // the next minute's run reads everything again
        new("report-delivery", "Report delivery",
            "Plans each report subscription's due period (once: one delivery per recipient and period), generates and archives its report, and sends every pending delivery by SMTP, retrying with back-off for a day.",
            "* * * * *", typeof(ReportDeliveryJob), Timeout: TimeSpan.FromMinutes(10), Freshness: TimeSpan.FromMinutes(15),
            Retries: false), // the next minute's run takes up whatever is pending
        new("nightly-aggregation", "Nightly aggregation",
            "Keeps Web Vitals partitions a week ahead and drops those past Vitals:RetentionDays, rolls up the last two days of Web Vitals and of SLI samples, folds query statistics older than Queries:RawRetentionDays into daily rows and activity samples older than Queries:ActivityRawDays into hourly rows.",
            "0 2 * * *", typeof(NightlyAggregationJob), Timeout: TimeSpan.FromMinutes(30), Freshness: TimeSpan.FromHours(26)),
        new("lab-checks", "Lab checks",
            "Runs Lighthouse (mobile and desktop, Debian's Chromium) on every service's critical pages (lab: in slas.yaml) and stores the scores, lab metrics and full reports; keeps full reports Lab:ReportRetentionDays.",
            "0 4 * * *", typeof(LabChecksJob), Timeout: TimeSpan.FromHours(1), Freshness: TimeSpan.FromHours(26),
            Retries: false), // a page that fails would fail again a minute later: tomorrow's run, or Run now, tries again
        new("job-history-cleanup", "Job history clean-up",
            "Deletes job runs older than Jobs:HistoryRetentionDays (Hangfire itself keeps succeeded jobs only a day).",
            "30 3 * * *", typeof(JobHistoryCleanupJob), Timeout: TimeSpan.FromMinutes(10), Freshness: TimeSpan.FromHours(26)),
    ];
}
