using Portal.Components;
using System.Globalization;
using System.Text;
using Portal.Features.Auth;

namespace Portal.Features.Scorecards;

/// <summary>
/// <c>/api/v1/scorecards</c> (Viewer): every service's objectives with status, value against target and budget
/// remaining; one service with <c>?window=</c>; and the same as CSV (<c>.csv</c>) for spreadsheets.
/// </summary>
public static class ScorecardsEndpoints
{
    /// <param name="Value">The headline figure over the window, in <paramref name="Unit"/> (<c>ms</c>, <c>ratio</c> or none).</param>
    /// <param name="BudgetRemaining">The share of the error budget left (negative: overspent).</param>
    /// <param name="WarmingUpUntil">A new objective, observed for less than its warm-up: when it will be judged (status warming-up).</param>
    /// <param name="NoSeriesSince">A Prometheus SLI whose series are gone: the end of the last interval it had one (status no-data).</param>
    public sealed record ObjectiveResponse(
        string Id, string Title, string Service, string Team, string Priority, string Kind, string Window, DateTimeOffset WindowStart, DateTimeOffset WindowEnd,
        string Status, string Figure, double? Value, double? Target, string Unit, double? PreviousValue, double Objective, double? Compliance,
        double? BudgetRemaining, IReadOnlyDictionary<string, double?> BurnRates, DateTimeOffset? BudgetRunsOutAt, DateTimeOffset? EvaluatedThrough, string? LastError,
        DateTimeOffset? NoSeriesSince, DateTimeOffset? WarmingUpUntil);

    public sealed record ServiceResponse(string Service, string Team, string Status, IReadOnlyList<ObjectiveResponse> Objectives);

    public sealed record ScorecardsResponse(DateTimeOffset GeneratedAt, string? Window, IReadOnlyList<ServiceResponse> Services);

    public static IEndpointRouteBuilder MapScorecardsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1").RequireAuthorization(policy => policy.RequireRole(PortalRoles.Viewer));

        api.MapGet("/scorecards", async (HttpRequest request, Scorecards scorecards, CancellationToken cancellationToken) =>
            await RespondAsync(request, scorecards, service: null, csv: false, cancellationToken));
        api.MapGet("/scorecards.csv", async (HttpRequest request, Scorecards scorecards, CancellationToken cancellationToken) =>
            await RespondAsync(request, scorecards, service: null, csv: true, cancellationToken));
        api.MapGet("/scorecards/{service}", async (string service, HttpRequest request, Scorecards scorecards, CancellationToken cancellationToken) =>
            service.EndsWith(".csv", StringComparison.Ordinal)
                ? await RespondAsync(request, scorecards, service[..^4], csv: true, cancellationToken)
                : await RespondAsync(request, scorecards, service, csv: false, cancellationToken));
        return endpoints;
    }

    private static async Task<IResult> RespondAsync(HttpRequest request, Scorecards scorecards, string? service, bool csv, CancellationToken cancellationToken)
    {
        var window = request.Query["window"].ToString() is { Length: > 0 } given ? given : null;
        if (window is not null && !Scorecards.IsWindow(window))
        {
            return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid window", $"window must be one of {string.Join(", ", Scorecards.Windows)}.");
        }
        var set = await scorecards.GetAsync(window, cancellationToken);
        var services = set.Services.Where(each => service is null || each.Service == service).Select(ToResponse).ToList();
        if (service is not null && services.Count == 0)
        {
            return ApiProblems.NotFound("Unknown service", $"The SLA catalogue has no service '{service}'.");
        }
        return csv
            ? Results.Text(CsvOf(services), "text/csv; charset=utf-8", Encoding.UTF8)
            : Results.Ok(new ScorecardsResponse(set.At, window, services));
    }

    private static ServiceResponse ToResponse(ServiceScore service) => new(service.Service, service.Team, StatusName(service.Worst), service.Objectives.Select(score =>
        new ObjectiveResponse(score.Objective.Id, score.Objective.Title, score.Objective.Service, score.Objective.Team, score.Objective.Priority, score.Objective.Sli.Kind,
            score.Objective.Window, score.WindowStart, score.WindowEnd, StatusName(score.Status), score.Figure.Name, score.Value, score.Figure.Target, score.Figure.Unit,
            score.PreviousValue, score.Objective.Sli.Objective, score.Budget.Compliance, score.Budget.Remaining, score.Budget.BurnRates, score.Budget.RunsOutAt,
            score.Evaluation?.EvaluatedThrough is { } through && through > DateTimeOffset.MinValue ? through : null, score.Evaluation?.LastError,
            score.NoSeriesSince, score.WarmingUpUntil)).ToList());

    /// <summary>The status as the API and the pages name it: <c>met</c>, <c>at-risk</c>, <c>breached</c>, <c>warming-up</c>, <c>no-data</c>.</summary>
    public static string StatusName(ObjectiveStatus status) => status switch
    {
        ObjectiveStatus.Met => "met",
        ObjectiveStatus.AtRisk => "at-risk",
        ObjectiveStatus.Breached => "breached",
        ObjectiveStatus.WarmingUp => "warming-up",
        _ => "no-data",
    };

    private static string CsvOf(IReadOnlyList<ServiceResponse> services)
    {
        var csv = new StringBuilder("service,team,objective,title,priority,kind,window,status,figure,value,target,unit,compliance,objective_share,budget_remaining\n");
        foreach (var objective in services.SelectMany(service => service.Objectives))
        {
            csv.AppendLine(Csv.Line(
                objective.Service, objective.Team, objective.Id, objective.Title, objective.Priority, objective.Kind, objective.Window, objective.Status, objective.Figure,
                Csv.Number(objective.Value), Csv.Number(objective.Target), objective.Unit, Csv.Number(objective.Compliance), Csv.Number(objective.Objective), Csv.Number(objective.BudgetRemaining)));
        }
        return csv.ToString();
    }
}
