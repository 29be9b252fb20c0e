using Portal.Features.Auth;

namespace Portal.Features.Alerts;

/// <summary>
/// The alerts API. Viewers read: <c>/api/v1/alerts</c> (pending and firing; <c>?state=all</c> all), one alert with its
/// timeline and notifications, <c>/api/v1/alerts/notifications?status=&amp;since=&amp;destination=&amp;q=</c> (what was sent,
/// is waiting or was given up) and one notification with its payload, the destinations, the silences. Admins create
/// silences, send test messages and retry dead notifications.
/// </summary>
public static class AlertsEndpoints
{
    public sealed record AlertResponse(
        string Fingerprint, string Rule, string Severity, string Source, string State, bool NoData, string? NoDataReason, double? Value, double Threshold,
        DateTimeOffset? Since, DateTimeOffset? FiringSince, DateTimeOffset? ResolvedAt, DateTimeOffset LastEvaluatedAt,
        IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations);

    public sealed record NotificationResponse(
        long Id, string Group, string Destination, string Kind, string Title, int Alerts, string Status, int Attempts, string? LastError,
        DateTimeOffset CreatedAt, DateTimeOffset? SentAt, DateTimeOffset? NextAttemptAt, IReadOnlyList<string> Fingerprints, string? SlackTs);

    /// <param name="DurationMinutes">Instead of <paramref name="EndsAt"/>: how long from the start.</param>
    /// <param name="TimeIntervals">A recurring silence: in force only within these named time intervals of alerts.yaml.</param>
    public sealed record SilenceRequest(Dictionary<string, string>? Matchers, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, int? DurationMinutes, string? Comment,
        List<string>? TimeIntervals = null);

    public sealed record AcknowledgeRequest(string? Note);

    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder endpoints)
    {
        // Developers and admins acknowledge (whoever is on call); the body is optional: { "note": "…" }.
        endpoints.MapPost("/api/v1/alerts/{fingerprint}/acknowledge", async (string fingerprint, HttpContext context, AlertStore store, NotificationActions actions,
            CancellationToken cancellationToken) =>
        {
            AcknowledgeRequest? body = null;
            if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            {
                try
                {
                    body = await context.Request.ReadFromJsonAsync<AcknowledgeRequest>(cancellationToken);
                }
                catch (System.Text.Json.JsonException)
                {
                    return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid acknowledgement", "the body is a JSON object: { \"note\": \"…\" } (optional)");
                }
            }
            if (body?.Note is { Length: > NotificationActions.NoteLimit })
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid acknowledgement", $"note: at most {NotificationActions.NoteLimit} characters");
            }
            if (await store.InstanceAsync(fingerprint, cancellationToken) is null)
            {
                return ApiProblems.Problem(StatusCodes.Status404NotFound, "Unknown alert", $"no alert has the fingerprint {fingerprint}");
            }
            var groups = await actions.AcknowledgeAsync(context.User, fingerprint, body?.Note, cancellationToken);
            return groups.Count == 0
                ? ApiProblems.Problem(StatusCodes.Status409Conflict, "Nothing to acknowledge", "no notification has told of this alert yet (it is pending, silenced, or its group is still waiting)")
                : Results.Ok(new { fingerprint, groups = groups.Select(group => new { group = group.GroupKey, group.Destination, acknowledged = group.Acknowledged }) });
        }).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Developer));

        var api = endpoints.MapGroup("/api/v1").RequireAuthorization(policy => policy.RequireRole(PortalRoles.Viewer));
        // The rules in force with their keys (what the backtest takes) and conditions as the Alerts page shows them.
        api.MapGet("/alerts/rules", (AlertRulesSource rules) => Results.Ok(rules.Rules().Select(rule => new
        {
            key = rule.Key, name = rule.Name, severity = rule.Severity, source = rule.Source, condition = AlertsPage.Condition(rule), objective = rule.Objective,
            minEvents = rule.Source == AlertSources.BurnRate ? rule.MinEvents : (long?)null, labels = rule.Labels,
        })));
        api.MapGet("/alerts", async (string? state, AlertStore store, CancellationToken cancellationToken) =>
        {
            if (state is not (null or "active" or "all"))
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid state", "state must be active (the default) or all.");
            }
            var instances = state == "all" ? await store.AllAsync(cancellationToken) : await store.ActiveAsync(cancellationToken);
            return Results.Ok(instances.Select(Response));
        });
        api.MapGet("/alerts/{fingerprint}", async (string fingerprint, AlertStore store, CancellationToken cancellationToken) =>
            await store.InstanceAsync(fingerprint, cancellationToken) is { } instance
                ? Results.Ok(new
                {
                    alert = Response(instance),
                    timeline = await store.TimelineAsync(fingerprint, cancellationToken),
                    notifications = (await store.NotificationsAsync(new NotificationFilter(Fingerprint: fingerprint), cancellationToken)).Select(Response),
                })
                : ApiProblems.NotFound("Unknown alert", $"no alert has the fingerprint '{fingerprint}'"));
        api.MapGet("/alerts/notifications", async (string? status, string? since, string? destination, string? q, AlertStore store, TimeProvider time, CancellationToken cancellationToken) =>
        {
            if (status is not null && !NotificationFilter.Statuses.Contains(status))
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid status", "status must be pending, sent or dead.");
            }
            DateTimeOffset? from = null;
            if (since is not null && !NotificationFilter.TryParseSince(since, time.GetUtcNow(), out from))
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid since", NotificationFilter.SinceHelp);
            }
            var notifications = await store.NotificationsAsync(new NotificationFilter(status, from, destination, Text: q), cancellationToken);
            return Results.Ok(notifications.Select(Response));
        });
        api.MapGet("/alerts/notifications/{id:long}", async (long id, AlertStore store, CancellationToken cancellationToken) =>
            await store.NotificationAsync(id, cancellationToken) is { } notification
                ? Results.Ok(new { notification = Response(notification), payload = System.Text.Json.JsonDocument.Parse(notification.Payload).RootElement })
                : ApiProblems.NotFound("Unknown notification", $"no notification {id}"));
        api.MapGet("/alerts/destinations", (NotificationDestinations destinations) => Results.Ok(destinations.All()));
        api.MapGet("/silences", async (SilenceStore silences, CancellationToken cancellationToken) => Results.Ok(await silences.ListAsync(cancellationToken: cancellationToken)));
        // Developers try rules on the past: one in force by its key, or every rule of a posted alerts.yaml before it is merged.
        var developer = endpoints.MapGroup("/api/v1").RequireAuthorization(policy => policy.RequireRole(PortalRoles.Developer));
        developer.MapGet("/alerts/backtest", async (string? rule, int? days, AlertRulesSource rules, AlertBacktest backtest, TimeProvider time, CancellationToken cancellationToken) =>
        {
            if (AlertBacktest.DaysProblem(days ?? 7) is { } problem)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid query parameter", problem);
            }
            if (rules.Rules().FirstOrDefault(known => known.Key == rule) is not { } found)
            {
                return ApiProblems.NotFound("Unknown rule", $"no rule in force has the key '{rule}' (GET /api/v1/alerts/rules lists them; a burn-rate rule's is like ErrorBudgetBurnFast/page/<objective>/1h/5m)");
            }
            var now = time.GetUtcNow();
            return Results.Ok(await backtest.RunAsync(found, rules.Current!, now.AddDays(-(days ?? 7)), now, cancellationToken));
        });
        developer.MapPost("/alerts/backtest", async (HttpContext context, int? days, AlertBacktest backtest, CancellationToken cancellationToken) =>
        {
            if (AlertBacktest.DaysProblem(days ?? 7) is { } problem)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid query parameter", problem);
            }
            if (context.Request.ContentLength is > 1_048_576)
            {
                return ApiProblems.Problem(StatusCodes.Status413PayloadTooLarge, "Too large", "an alerts.yaml of at most 1 MB");
            }
            using var reader = new StreamReader(context.Request.Body);
            var (results, errors) = await backtest.RunFileAsync("alerts.yaml (posted)", await reader.ReadToEndAsync(cancellationToken), days ?? 7, cancellationToken);
            return results is null
                ? ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid rules", string.Join("; ", errors.Select(error => error.ToString())))
                : Results.Ok(new { results, warnings = errors.Select(error => error.ToString()) });
        });
        var admin = endpoints.MapGroup("/api/v1").RequireAuthorization(policy => policy.RequireRole(PortalRoles.Admin));
        admin.MapPost("/alerts/test", async (string? destination, HttpContext context, NotificationActions actions, NotificationDestinations destinations, CancellationToken cancellationToken) =>
        {
            destination ??= SlackDestinations.Default;
            return await actions.SendTestAsync(context.User, destination, cancellationToken) is { } id
                ? Results.Accepted($"/api/v1/alerts/notifications/{id}", new { notification = id, destination })
                : ApiProblems.Problem(StatusCodes.Status400BadRequest, "Unknown destination", $"{destinations.NotConfigured(destination)}; configured: {string.Join(", ", destinations.All().Select(known => known.Name).DefaultIfEmpty("none"))}");
        });
        admin.MapPost("/alerts/notifications/{id:long}/retry", async (long id, HttpContext context, NotificationActions actions, AlertStore store, CancellationToken cancellationToken) =>
            await actions.RetryAsync(context.User, id, cancellationToken)
                ? Results.Accepted($"/api/v1/alerts/notifications/{id}", new { notification = id, status = "pending" })
                : await store.NotificationAsync(id, cancellationToken) is { } notification
                    ? ApiProblems.Problem(StatusCodes.Status409Conflict, "Not dead", $"notification {id} is {notification.Status}: only a dead one is retried")
                    : ApiProblems.NotFound("Unknown notification", $"no notification {id}"));
        // The body is read here, not bound: a bound JSON body makes routing answer 415 before authorization answers 403.
        admin.MapPost("/silences", async (HttpContext context, SilenceStore silences, AlertRulesSource rules, TimeProvider time, CancellationToken cancellationToken) =>
        {
            if (!context.Request.HasJsonContentType())
            {
                return ApiProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", "Content-Type: application/json");
            }
            _ = rules.Rules(); // alerts.yaml read again if it changed: the time intervals a recurring silence may name
            SilenceRequest? body;
            try
            {
                body = await context.Request.ReadFromJsonAsync<SilenceRequest>(cancellationToken);
            }
            catch (System.Text.Json.JsonException ex)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid silence", $"not JSON of a silence: {ex.Message}");
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
                { TimeIntervals: { Count: > 0 } } when body.TimeIntervals.FirstOrDefault(name => rules.Current?.TimeIntervals.ContainsKey(name) != true) is { } unknown =>
                    $"timeIntervals: '{unknown}' is not one of alerts.yaml's time_intervals ({string.Join(", ", (rules.Current?.TimeIntervals.Keys ?? []).Order(StringComparer.Ordinal).DefaultIfEmpty("none defined"))})",
                _ when endsAt - startsAt > TimeSpan.FromDays(body.TimeIntervals is { Count: > 0 } ? 366 : 30) =>
                    "a silence lasts at most 30 days (a recurring one, with timeIntervals, a year)",
                _ => null,
            };
            if (problem is not null)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid silence", problem);
            }
            var silence = await silences.CreateAsync(context.User, body!.Matchers!, startsAt, endsAt!.Value, body.Comment!.Trim(), body.TimeIntervals, cancellationToken);
            return Results.Created($"/api/v1/silences/{silence.Id}", silence);
        });
        return endpoints;
    }

    private static AlertResponse Response(AlertInstance instance) => new(instance.Fingerprint, instance.RuleName, instance.Severity, instance.Source, instance.State,
        instance.NoData, instance.NoDataReason, instance.Value, instance.Threshold, instance.ActiveSince, instance.FiringSince, instance.ResolvedAt,
        instance.LastEvaluatedAt, instance.Labels, instance.Annotations);

    private static NotificationResponse Response(AlertNotification notification) => new(notification.Id, notification.GroupKey, notification.Destination, notification.Kind,
        notification.Title, notification.Alerts, notification.Status, notification.Attempts, notification.LastError, notification.CreatedAt, notification.SentAt,
        notification.Status == "pending" ? notification.NextAttemptAt : null, notification.Fingerprints, notification.SlackTs);
}
