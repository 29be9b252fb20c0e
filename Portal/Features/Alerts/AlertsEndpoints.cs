using Portal.Features.Auth;

namespace Portal.Features.Alerts;

/// <summary><c>/api/v1/alerts</c> (Viewer): the alerts pending or firing now (<c>?state=all</c> includes the inactive ones).</summary>
public static class AlertsEndpoints
{
    public sealed record AlertResponse(
        string Fingerprint, string Rule, string Severity, string Source, string State, bool NoData, string? NoDataReason, double? Value, double Threshold,
        DateTimeOffset? Since, DateTimeOffset? FiringSince, DateTimeOffset? ResolvedAt, DateTimeOffset LastEvaluatedAt,
        IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations);

    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1").RequireAuthorization(policy => policy.RequireRole(PortalRoles.Viewer));
        api.MapGet("/alerts", async (string? state, AlertStore store, CancellationToken cancellationToken) =>
        {
            if (state is not (null or "active" or "all"))
            {
                return Results.Problem(title: "Invalid state", detail: "state must be active (the default) or all.", statusCode: StatusCodes.Status400BadRequest);
            }
            var instances = state == "all" ? await store.AllAsync(cancellationToken) : await store.ActiveAsync(cancellationToken);
            return Results.Ok(instances.Select(instance => new AlertResponse(instance.Fingerprint, instance.RuleName, instance.Severity, instance.Source, instance.State,
                instance.NoData, instance.NoDataReason, instance.Value, instance.Threshold, instance.ActiveSince, instance.FiringSince, instance.ResolvedAt,
                instance.LastEvaluatedAt, instance.Labels, instance.Annotations)));
        });
        return endpoints;
    }
}
