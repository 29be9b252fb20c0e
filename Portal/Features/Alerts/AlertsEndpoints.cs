using Portal.Features.Auth;

namespace Portal.Features.Alerts;

/// <summary>
/// <c>/api/v1/alerts</c> (Viewer): the alerts pending or firing now (<c>?state=all</c> includes the inactive ones), and
/// <c>/api/v1/alerts/notifications?status=&amp;since=</c>: what was sent, is waiting or was given up.
/// </summary>
public static class AlertsEndpoints
{
    public sealed record AlertResponse(
        string Fingerprint, string Rule, string Severity, string Source, string State, bool NoData, string? NoDataReason, double? Value, double Threshold,
        DateTimeOffset? Since, DateTimeOffset? FiringSince, DateTimeOffset? ResolvedAt, DateTimeOffset LastEvaluatedAt,
        IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations);

    public sealed record NotificationResponse(
        long Id, string Group, string Destination, string Kind, string Title, int Alerts, string Status, int Attempts, string? LastError,
        DateTimeOffset CreatedAt, DateTimeOffset? SentAt, DateTimeOffset? NextAttemptAt);

    /// <param name="DurationMinutes">Instead of <paramref name="EndsAt"/>: how long from the start.</param>
    public sealed record SilenceRequest(Dictionary<string, string>? Matchers, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, int? DurationMinutes, string? Comment);

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
        api.MapGet("/alerts/notifications", async (string? status, string? since, AlertStore store, CancellationToken cancellationToken) =>
        {
            if (status is not (null or "pending" or "sent" or "dead"))
            {
                return Results.Problem(title: "Invalid status", detail: "status must be pending, sent or dead.", statusCode: StatusCodes.Status400BadRequest);
            }
            DateTimeOffset? from = null;
            if (since is not null)
            {
                if (!DateTimeOffset.TryParse(since, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
                {
                    return Results.Problem(title: "Invalid since", detail: "since must be an ISO-8601 instant, e.g. 2026-11-23T08:00:00Z.", statusCode: StatusCodes.Status400BadRequest);
                }
                from = parsed;
            }
            var notifications = await store.NotificationsAsync(status, from, cancellationToken: cancellationToken);
            return Results.Ok(notifications.Select(notification => new NotificationResponse(notification.Id, notification.GroupKey, notification.Destination, notification.Kind,
                notification.Title, notification.Alerts, notification.Status, notification.Attempts, notification.LastError, notification.CreatedAt, notification.SentAt,
                notification.Status == "pending" ? notification.NextAttemptAt : null)));
        });
        api.MapGet("/silences", async (SilenceStore silences, CancellationToken cancellationToken) => Results.Ok(await silences.ListAsync(cancellationToken: cancellationToken)));
        endpoints.MapPost("/api/v1/alerts/test", async (HttpContext context, TestMessage test, CancellationToken cancellationToken) =>
        {
            var id = await test.QueueAsync(context.User, cancellationToken);
            return Results.Accepted("/api/v1/alerts/notifications", new { notification = id, destination = NotificationPolicy.DefaultDestination });
        }).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Admin));
        // The body is read here, not bound: a bound JSON body makes routing answer 415 before authorization answers 403.
        endpoints.MapPost("/api/v1/silences", async (HttpContext context, SilenceStore silences, TimeProvider time, CancellationToken cancellationToken) =>
        {
            if (!context.Request.HasJsonContentType())
            {
                return Results.Problem(title: "Unsupported content type", detail: "Content-Type: application/json", statusCode: StatusCodes.Status415UnsupportedMediaType);
            }
            SilenceRequest? body;
            try
            {
                body = await context.Request.ReadFromJsonAsync<SilenceRequest>(cancellationToken);
            }
            catch (System.Text.Json.JsonException ex)
            {
                return Results.Problem(title: "Invalid silence", detail: $"not JSON of a silence: {ex.Message}", statusCode: StatusCodes.Status400BadRequest);
            }
            var now = time.GetUtcNow();
            var startsAt = body?.StartsAt ?? now;
            var endsAt = body?.EndsAt ?? (body?.DurationMinutes is > 0 and var minutes ? startsAt.AddMinutes(minutes) : null);
            string? problem = body switch
            {
                null => "the body is a JSON object: { matchers, endsAt or durationMinutes, comment }",
                { Matchers: null or { Count: 0 } } => "matchers: at least one label and value (alertname, severity or any label of the alerts)",
                _ when body.Matchers!.Any(matcher => string.IsNullOrWhiteSpace(matcher.Key) || string.IsNullOrWhiteSpace(matcher.Value)) => "matchers: every label and value is non-empty",
                { Comment: null } or { Comment.Length: 0 } => "comment: say why (it is shown with the silence)",
                _ when endsAt is null => "endsAt (an instant) or durationMinutes is required",
                _ when endsAt <= startsAt || endsAt <= now => "endsAt must be after startsAt and in the future",
                _ when endsAt - startsAt > TimeSpan.FromDays(30) => "a silence lasts at most 30 days",
                _ => null,
            };
            if (problem is not null)
            {
                return Results.Problem(title: "Invalid silence", detail: problem, statusCode: StatusCodes.Status400BadRequest);
            }
            var silence = await silences.CreateAsync(context.User, body!.Matchers!, startsAt, endsAt!.Value, body.Comment!.Trim(), cancellationToken);
            return Results.Created($"/api/v1/silences/{silence.Id}", silence);
        }).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Admin));
        return endpoints;
    }
}
