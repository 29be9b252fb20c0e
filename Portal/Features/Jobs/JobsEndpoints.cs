using Portal.Components;
using System.Globalization;
using System.Security.Claims;
using Portal.Features.Auth;

namespace Portal.Features.Jobs;

public static class JobsEndpoints
{
    public sealed record LastRunResponse(string Outcome, DateTimeOffset StartedAt, double? DurationMs, string? Summary);

    public sealed record JobResponse(
        string Id, string Title, string Description, string Cron, string Schedule, string TimeZone, DateTimeOffset? NextRunAt,
        bool Paused, LastRunResponse? LastRun, bool Fresh, DateTimeOffset? LastSuccessAt, int FreshnessObjectiveSeconds, double? SuccessRate);

    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder endpoints)
    {
        var jobs = endpoints.MapGroup("/api/v1/jobs");

        endpoints.MapGet("/api/v1/jobs", async (JobsService service, CancellationToken cancellationToken) =>
            (await service.GetOverviewAsync(cancellationToken)).Select(ToResponse))
            .RequireAuthorization(policy => policy.RequireRole(PortalRoles.Viewer));

        jobs.MapGet("/{id}/runs", async (string id, string? outcome, string? since, JobRunStore runs, CancellationToken cancellationToken) =>
        {
            if (await runs.GetDefinitionAsync(id, cancellationToken) is null)
            {
                return UnknownJob(id);
            }
            if (outcome is not null && !JobOutcomes.All.Contains(outcome))
            {
                return ApiProblems.InvalidParameter($"outcome must be one of {string.Join(", ", JobOutcomes.All)}.");
            }
            if (!Instants.TryParse(since, out var from))
            {
                return ApiProblems.InvalidParameter($"since must be {Instants.Example}.");
            }
            return Results.Ok(await runs.GetRunsAsync(new JobRunQuery(id, outcome, from), cancellationToken));
        }).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Viewer));

        jobs.MapPost("/{id}/run", async (string id, ClaimsPrincipal user, JobsService service, CancellationToken cancellationToken) =>
            await service.RunNowAsync(user, id, cancellationToken) switch
            {
                (JobCommandResult.UnknownJob, _) => UnknownJob(id),
                (JobCommandResult.Paused, _) => ApiProblems.Problem(StatusCodes.Status409Conflict, "Job is paused", $"Resume '{id}' before running it."),
                (_, var hangfireJobId) => Results.Accepted($"/api/v1/jobs/{id}/runs", new { jobId = id, hangfireJobId }),
            }).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Admin));

        jobs.MapPost("/{id}/pause", (string id, ClaimsPrincipal user, JobsService service, CancellationToken cancellationToken) =>
            SetPausedAsync(id, true, user, service, cancellationToken)).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Admin));
        jobs.MapPost("/{id}/resume", (string id, ClaimsPrincipal user, JobsService service, CancellationToken cancellationToken) =>
            SetPausedAsync(id, false, user, service, cancellationToken)).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Admin));
        return endpoints;
    }

    private static async Task<IResult> SetPausedAsync(string id, bool paused, ClaimsPrincipal user, JobsService service, CancellationToken cancellationToken) =>
        await service.SetPausedAsync(user, id, paused, cancellationToken) == JobCommandResult.UnknownJob
            ? UnknownJob(id)
            : Results.Ok(new { jobId = id, paused });

    private static JobResponse ToResponse(JobOverview job) => new(
        job.Definition.Id, job.Definition.Title, job.Definition.Description, job.Definition.Cron, job.Schedule, job.Definition.TimeZone,
        job.NextRunAt, job.Definition.Paused,
        job.LastRun is { } run ? new LastRunResponse(run.Outcome, run.StartedAt, run.DurationMs, run.Summary) : null,
        job.Freshness.Fresh, job.Statistics?.LastSuccessAt, job.Definition.FreshnessSeconds, job.SuccessRate);

    private static IResult UnknownJob(string id) =>
        ApiProblems.NotFound("Unknown job", $"No job '{id}' in the catalogue.");

}
