using Portal.Components;
using Portal.Features.Auth;

namespace Portal.Features.Queries;

/// <summary><c>/api/v1/targets</c> and <c>/api/v1/queries</c> (Developer): the monitored databases and their statements by window.</summary>
public static class QueriesEndpoints
{
    public sealed record ProblemResponse(string What, string Fix, bool Blocker);

    public sealed record TargetResponse(string Name, string Host, int Port, string Database, string? Description, bool Ready, string? Version, IReadOnlyList<ProblemResponse> Problems,
        IReadOnlyList<TargetCapability> Capabilities, StatementScope Scope);

    public sealed record QueryDetailResponse(
        string Target, long QueryId, string Query, DateTimeOffset From, DateTimeOffset To, long Calls, double TotalTimeMs, double? MeanTimeMs, long Rows,
        double? SharedBlksHitRatio, IReadOnlyDictionary<string, double> Counters, IReadOnlyList<QueryRow> Statements, IReadOnlyList<QueryInterval> Intervals);

    /// <param name="Evictions">How many times pg_stat_statements dropped its least-run entries in the window (see <see cref="StatementEvictions"/>).</param>
    public sealed record TopQueriesResponse(string Target, DateTimeOffset From, DateTimeOffset To, int TotalCount, double AllTimeMs, StatementEvictions Evictions, IReadOnlyList<QueryRow> Queries);

    public static IEndpointRouteBuilder MapQueriesApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1").RequireAuthorization(policy => policy.RequireRole(PortalRoles.Developer));

        api.MapGet("/targets", async (QueryTargets targets, TargetCheck check, CancellationToken cancellationToken) =>
        {
            var statuses = await Task.WhenAll(targets.All.Select(target => check.RunAsync(target, cancellationToken)));
            return statuses.Select(status => new TargetResponse(status.Target.Name, status.Target.Host, status.Target.Port, status.Target.Database,
                status.Target.Description, status.Ready, status.Version, status.Problems.Select(problem => new ProblemResponse(problem.What, problem.Fix, problem.Blocker)).ToList(),
                status.Capabilities, status.Target.Scope));
        });

        api.MapGet("/queries", async (HttpRequest request, QueryTargets targets, QueryStatistics statistics, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var query = request.Query;
            var (target, window, problem) = TargetAndWindow(query, targets, time);
            if (problem is not null)
            {
                return problem;
            }
            if (!TryParseSort(query["sort"], out var sort))
            {
                return ApiProblems.InvalidParameter($"sort must be one of {string.Join(", ", Enum.GetValues<QuerySort>().Select(SortName))}.");
            }
            if (!TryParseInt(query["limit"], 50, 1, 1_000, out var limit))
            {
                return ApiProblems.InvalidParameter("limit must be a whole number from 1 to 1000.");
            }
            if (!TryParseInt(query["offset"], 0, 0, int.MaxValue, out var offset))
            {
                return ApiProblems.InvalidParameter("offset must be a whole number, 0 or more.");
            }
            if (query["scope"].ToString() is { Length: > 0 } scope && scope != "all")
            {
                return ApiProblems.InvalidParameter("scope must be all (every statement) or left out (the target's scope).");
            }

            var (from, to) = await statistics.ResolveAsync(target.Name, window, cancellationToken);
            var top = await statistics.TopAsync(new TopQueriesRequest(target.Name, from, to, sort, query["order"] != "asc", offset, limit,
                NullIfEmpty(query["database"]), NullIfEmpty(query["user"]), NullIfEmpty(query["search"]), query["flagged"] == "true") { InScope = query["scope"] != "all" }, cancellationToken);
            return Results.Ok(new TopQueriesResponse(target.Name, top.From, top.To, top.TotalCount, top.AllTimeMs, top.Evictions, top.Rows));
        });
        api.MapGet("/queries/{queryId:long}", async (long queryId, HttpRequest request, QueryTargets targets, QueryStatistics statistics, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var query = request.Query;
            var (target, window, problem) = TargetAndWindow(query, targets, time);
            if (problem is not null)
            {
                return problem;
            }
            if (await statistics.TextAsync(target.Name, queryId, cancellationToken) is not { } text)
            {
                return ApiProblems.NotFound("Unknown statement", $"query id {queryId} has not been seen on target {target.Name}.");
            }

            var (from, to) = await statistics.ResolveAsync(target.Name, window, cancellationToken);
            var rows = (await statistics.TopAsync(new TopQueriesRequest(target.Name, from, to, Limit: 1_000, QueryId: queryId) { InScope = false }, cancellationToken)).Rows;
            var counters = await statistics.CountersAsync(target.Name, queryId, from, to, cancellationToken);
            var intervals = await statistics.SeriesAsync(target.Name, queryId, from, to, cancellationToken);
            var (calls, totalTime) = (rows.Sum(row => row.Calls), rows.Sum(row => row.TotalTimeMs));
            var (hit, read) = (counters["shared_blks_hit"], counters["shared_blks_read"]);
            return Results.Ok(new QueryDetailResponse(target.Name, queryId, text, from, to, calls, totalTime, calls == 0 ? null : totalTime / calls,
                rows.Sum(row => row.Rows), hit + read == 0 ? null : hit / (hit + read), counters, rows, intervals));
        });

        // What the statement's page runs: EXPLAIN with bound parameters (ANALYZE only of reads, rolled back).
        api.MapPost("/queries/{queryId:long}/explain", async (long queryId, HttpContext context, QueryTargets targets, QueryStatistics statistics,
            QueryExplain explain, CancellationToken cancellationToken) =>
        {
            var request = context.Request;
            if (FindTarget(request.Query, targets) is not { } target)
            {
                return UnknownTarget(request.Query);
            }
            var (body, problem) = request.ContentLength is 0 or null && !request.HasJsonContentType()
                ? (null, null) // no body: a statement without parameters, planned only
                : await ApiProblems.ReadJsonAsync<ExplainRequest>(context, cancellationToken);
            if (problem is not null)
            {
                return ApiProblems.InvalidParameter(problem);
            }
            if (await statistics.TextAsync(target.Name, queryId, cancellationToken) is not { } text)
            {
                return ApiProblems.NotFound("Unknown statement", $"query id {queryId} has not been seen on target {target.Name}.");
            }
            var (types, refusal) = await explain.ParametersAsync(target.Name, text, cancellationToken);
            var values = body?.Parameters ?? [];
            if (refusal is null && values.Count != types.Count)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid parameters", $"parameters: the statement takes {types.Count} ({string.Join(", ", types.Select((type, index) => $"${index + 1} {type}"))}), not {values.Count}.");
            }
            var result = refusal is null ? await explain.ExplainAsync(target.Name, text, values, body?.Analyze == true, cancellationToken) : ExplainResult.Refused(refusal);
            return result.Refusal is { } reason
                ? ApiProblems.Problem(StatusCodes.Status422UnprocessableEntity, "Not explained", reason)
                : Results.Ok(new ExplainResponse(target.Name, queryId, types, result.Analyzed, result.PlanningMs, result.ExecutionMs, result.Plan!));
        });
        api.MapGet("/queries/health", async (HttpRequest request, QueryTargets targets, IndexHealth health, CancellationToken cancellationToken) =>
            FindTarget(request.Query, targets) is { } target ? Results.Ok(await health.ReadAsync(target.Name, cancellationToken)) : UnknownTarget(request.Query));
        api.MapGet("/queries/risks", async (HttpRequest request, QueryTargets targets, MaintenanceRisks risks, CancellationToken cancellationToken) =>
            FindTarget(request.Query, targets) is { } target ? Results.Ok(await risks.ReadAsync(target.Name, cancellationToken)) : UnknownTarget(request.Query));
        api.MapGet("/queries/activity", async (HttpRequest request, QueryTargets targets, LiveActivity activity, CancellationToken cancellationToken) =>
            FindTarget(request.Query, targets) is { } target ? Results.Ok(await activity.ReadAsync(target.Name, cancellationToken)) : UnknownTarget(request.Query));
        // The activity history over a window: average active sessions by wait, the statements that waited most, the lock waits.
        api.MapGet("/queries/waits", async (HttpRequest request, QueryTargets targets, ActivityHistory history, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var (target, window, problem) = TargetAndWindow(request.Query, targets, time);
            if (problem is not null)
            {
                return problem;
            }
            var bin = ActivityHistory.BinFor(window.Span);
            return Results.Ok(new
            {
                target = target.Name, window = window.Key, from = window.From, to = window.To, binSeconds = bin.TotalSeconds,
                waits = (await history.WaitsOverTimeAsync(target.Name, window.From, window.To, bin, cancellationToken))
                    .Select(series => new { series.Wait, points = series.Points.Select(point => new { point.At, point.AverageSessions }) }),
                statements = (await history.WaitingStatementsAsync(target.Name, window.From, window.To, cancellationToken: cancellationToken))
                    .Select(statement => new { statement.QueryId, statement.Query, statement.SessionSeconds, waits = statement.Waits.Select(wait => new { wait.Wait, wait.SessionSeconds }) }),
                lockWaits = await history.LockWaitsAsync(target.Name, window.From, window.To, cancellationToken: cancellationToken),
            });
        });
        return endpoints;
    }

    /// <param name="Parameters">The statement's <c>$1…</c> values, as text (typed by the target); null for SQL NULL.</param>
    /// <param name="Analyze">EXPLAIN ANALYZE: runs the statement (reads only), in a read-only transaction rolled back.</param>
    public sealed record ExplainRequest(IReadOnlyList<string?>? Parameters, bool Analyze);

    public sealed record ExplainResponse(string Target, long QueryId, IReadOnlyList<string> ParameterTypes, bool Analyzed, double? PlanningMs, double? ExecutionMs, PlanNode Plan);

    private static QueryTarget? FindTarget(IQueryCollection query, QueryTargets targets) => targets.Find(query["target"]);

    private static IResult UnknownTarget(IQueryCollection query) => ApiProblems.NotFound("Unknown target", $"target '{query["target"]}' is not configured; GET /api/v1/targets lists them.");

    /// <summary>The <c>target</c> and <c>window</c> every query read takes, or the problem with them (404 unknown target, 400 bad window).</summary>
    private static (QueryTarget Target, TimeRange Window, IResult? Problem) TargetAndWindow(IQueryCollection query, QueryTargets targets, TimeProvider time)
    {
        if (FindTarget(query, targets) is not { } target)
        {
            return (null!, null!, UnknownTarget(query));
        }
        return TimeRange.FromApiQuery(query, time.GetUtcNow()) is { } window
            ? (target, window, null)
            : (target, null!, ApiProblems.InvalidParameter(TimeRange.WindowParameterRule));
    }

    /// <summary>A sort as the API and the page's address name it: totalTime, meanTime, calls …</summary>
    public static string SortName(QuerySort sort) => sort.ToString() is var name ? char.ToLowerInvariant(name[0]) + name[1..] : "";

    public static bool TryParseSort(string? value, out QuerySort sort)
    {
        sort = QuerySort.TotalTime;
        return string.IsNullOrEmpty(value) || (!char.IsDigit(value[0]) && Enum.TryParse(value, ignoreCase: true, out sort) && Enum.IsDefined(sort));
    }

    private static bool TryParseInt(string? value, int fallback, int min, int max, out int result)
    {
        result = fallback;
        return string.IsNullOrEmpty(value) || (int.TryParse(value, out result) && result >= min && result <= max);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

}
