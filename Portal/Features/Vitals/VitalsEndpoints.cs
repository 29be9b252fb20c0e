using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using Portal.Features.Auth;

namespace Portal.Features.Vitals;

/// <summary>
/// <c>POST /api/v1/vitals</c>: anonymous (browsers of the apps send it), identified by the app's public key, answered
/// 202 only once the events are committed. And the read API: <c>/api/v1/vitals/apps</c>, <c>/api/v1/vitals/summary</c>.
/// </summary>
public static class VitalsEndpoints
{
    public const string Path = "/api/v1/vitals";

    /// <param name="AllowedOrigins">The pages' origins allowed to send (scheme, host and port; <c>*</c> for any).</param>
    /// <param name="SampleRate">The share of page views sent, above 0 and at most 1 (default 1).</param>
    /// <param name="PageGroups">Page grouping rules (<c>/issues/* => /issues/:id</c>), in order; <c>collapseIds</c> (default true) groups numeric and hash segments.</param>
    /// <param name="SoftNavigations">Whether a single-page app's route changes count as page views of their own (default false).</param>
    public sealed record AppRequest(string? Id, string? Name, string[]? AllowedOrigins, double? SampleRate, string[]? PageGroups, bool? CollapseIds, bool? SoftNavigations);

    public static IEndpointRouteBuilder MapVitalsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, IngestAsync).AllowAnonymous().DisableAntiforgery();
        endpoints.MapMethods(Path, [HttpMethods.Options], PreflightAsync).AllowAnonymous();

        endpoints.MapGet($"{Path}/apps", async (VitalsApps apps, CancellationToken cancellationToken) => await apps.ListAsync(cancellationToken))
            .RequireAuthorization(policy => policy.RequireRole(PortalRoles.Admin));
        // Onboarding from a script: the app with its public key (the snippet's), as the Web Vitals apps page creates it.
        endpoints.MapPost($"{Path}/apps", async (HttpContext context, VitalsApps apps, CancellationToken cancellationToken) =>
        {
            var (body, problem) = await ApiProblems.ReadJsonAsync<AppRequest>(context, cancellationToken);
            if (problem is not null || string.IsNullOrWhiteSpace(body?.Id))
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid app", problem ?? "id is required: 1 to 40 lower-case letters, digits and dashes.");
            }
            var app = new VitalsApp
            {
                Id = body.Id, Name = body.Name ?? body.Id, AllowedOrigins = body.AllowedOrigins ?? [], SampleRate = body.SampleRate ?? 1,
                PageGroups = body.PageGroups ?? [], CollapseIds = body.CollapseIds ?? true, SoftNavigations = body.SoftNavigations ?? false,
            };
            if (await apps.FindAsync(app.Id, cancellationToken) is not null)
            {
                return ApiProblems.Problem(StatusCodes.Status409Conflict, "App exists", $"id: an app “{app.Id}” exists already; the Web Vitals apps page edits it.");
            }
            if (await apps.SaveAsync(context.User, app, create: true, cancellationToken) is { } error)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid app", error);
            }
            return Results.Created($"{Path}/apps/{app.Id}", await apps.FindAsync(app.Id, cancellationToken));
        }).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Admin));

        endpoints.MapGet($"{Path}/summary", async (HttpRequest request, VitalsApps apps, VitalsStore store, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var query = request.Query;
            var app = query["app"].FirstOrDefault() ?? VitalsApps.PortalApp;
            if (await apps.FindAsync(app, cancellationToken) is null)
            {
                return ApiProblems.Problem(StatusCodes.Status404NotFound, "Unknown app", $"app: no app “{app}”; GET /api/v1/vitals/apps lists them.");
            }
            if (Portal.Components.TimeRange.FromApiQuery(query, time.GetUtcNow()) is not { } window)
            {
                return ApiProblems.InvalidParameter(Portal.Components.TimeRange.WindowParameterRule);
            }
            var page = query["page"].FirstOrDefault() is { Length: > 0 } given ? given : null;
            var metrics = await store.SummaryAsync(app, window.From, window.To, page, cancellationToken);
            return Results.Ok(new
            {
                app, window = window.Key, from = window.From, to = window.To, page, source = store.IsLive(window.From, window.To) ? "raw" : "daily",
                metrics,
            });
        }).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Viewer));
        return endpoints;
    }

    private static async Task<IResult> IngestAsync(HttpContext context, VitalsApps apps, VitalsWriter writer, VitalsRateLimits limits, TimeProvider time)
    {
        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || mediaType.MediaType is not ("application/json" or "text/plain"))
        {
            return ApiProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", "Content-Type: application/json, or text/plain (what sendBeacon sends).");
        }
        if (request.ContentLength > VitalsPayload.MaxBytes)
        {
            return ApiProblems.Problem(StatusCodes.Status413PayloadTooLarge, "Too large", $"body: {request.ContentLength:N0} bytes; at most {VitalsPayload.MaxBytes:N0}.");
        }
        byte[]? body;
        try
        {
            body = await ReadBodyAsync(request, context.RequestAborted);
        }
        catch (BadHttpRequestException ex)
        {
            // A page closed while its beacon was on the way: the body ended early. Nothing of it is stored.
            return ApiProblems.Problem(ex.StatusCode, "Incomplete request", $"body: {ex.Message}");
        }
        if (body is null)
        {
            return ApiProblems.Problem(StatusCodes.Status413PayloadTooLarge, "Too large", $"body: more than {VitalsPayload.MaxBytes:N0} bytes.");
        }

        // JSON is UTF-8 (RFC 8259); the parser checks structure, not the bytes inside strings, which would fail later.
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid event", $"body: not valid UTF-8 (from byte {InvalidUtf8At(body)})");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid event", $"body: not JSON ({ex.Message})");
        }
        using (document)
        {
            VitalsPayload.Parsed? parsed;
            string? shapeError;
            bool tooMany;
            try
            {
                (parsed, shapeError, tooMany) = VitalsPayload.Read(document);
            }
            catch (InvalidOperationException ex)
            {
                // A string escaping half a surrogate pair (\ud800): valid JSON, not text.
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid event", $"body: a string is not valid text ({ex.Message})");
            }
            if (parsed is null)
            {
                return ApiProblems.Problem(tooMany ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, tooMany ? "Too large" : "Invalid event", shapeError!);
            }
            var key = request.Headers["X-Portal-Key"].FirstOrDefault() ?? parsed.Key;
            VitalsApp? app;
            try
            {
                app = string.IsNullOrEmpty(key) ? null : await apps.ByKeyAsync(key, context.RequestAborted);
            }
            catch (Npgsql.NpgsqlException)
            {
                return Unavailable(context, "The portal cannot read its apps right now (the database is unavailable); send again shortly.");
            }
            if (app is null)
            {
                return ApiProblems.Problem(StatusCodes.Status401Unauthorized, "Unknown app key",
                    string.IsNullOrEmpty(key) ? "key: missing (X-Portal-Key header or \"key\" field)" : "key: no app has this key (was it rotated?)");
            }
            var origin = request.Headers.Origin.FirstOrDefault();
            if (!app.Allows(origin, OwnOrigin(request)))
            {
                return ApiProblems.Problem(StatusCodes.Status403Forbidden, "Origin not allowed", $"origin: {origin} may not send for app {app.Id}; an admin can allow it on the Apps page.");
            }
            AllowOrigin(context, origin);
            if (limits.Check(app.PublicKey, context.Connection.RemoteIpAddress?.ToString() ?? "unknown") is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return ApiProblems.Problem(StatusCodes.Status429TooManyRequests, "Too many requests", $"Rate limit reached; send again in {Math.Ceiling(retryAfter.TotalSeconds):0} s.");
            }
            List<VitalsEvent>? events;
            string? error;
            try
            {
                (events, error) = VitalsPayload.Validate(app, parsed.Events, time.GetUtcNow(), batch: document.RootElement.TryGetProperty("events", out _));
            }
            catch (InvalidOperationException ex)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid event", $"events: a string is not valid text ({ex.Message})");
            }
            if (events is null)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid event", error!);
            }
            if (events.Count == 0)
            {
                return Results.Json(new { accepted = 0 }, statusCode: StatusCodes.Status202Accepted);
            }
            if (!writer.TryEnqueue(events, out var committed))
            {
                return Unavailable(context, "The portal is writing as fast as it can and its queue is full; send again shortly.");
            }
            try
            {
                await committed;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return Unavailable(context, "The events could not be stored (the database is unavailable); nothing of them was kept. Send them again shortly.");
            }
            return Results.Json(new { accepted = events.Count }, statusCode: StatusCodes.Status202Accepted);
        }
    }

    // A preflight carries no key: it is answered for origins some app allows; the POST then checks the app's own list.
    private static async Task<IResult> PreflightAsync(HttpContext context, VitalsApps apps)
    {
        var origin = context.Request.Headers.Origin.FirstOrDefault();
        if (string.IsNullOrEmpty(origin) || !await apps.AnyAllowsAsync(origin, OwnOrigin(context.Request), context.RequestAborted))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }
        AllowOrigin(context, origin);
        context.Response.Headers.AccessControlAllowMethods = "POST";
        context.Response.Headers.AccessControlAllowHeaders = "Content-Type, X-Portal-Key";
        context.Response.Headers.AccessControlMaxAge = "86400";
        return Results.NoContent();
    }

    private static void AllowOrigin(HttpContext context, string? origin)
    {
        if (!string.IsNullOrEmpty(origin))
        {
            context.Response.Headers.AccessControlAllowOrigin = origin;
            context.Response.Headers.Vary = "Origin";
        }
    }

    private static string OwnOrigin(HttpRequest request) => $"{request.Scheme}://{request.Host}";

    private static int InvalidUtf8At(ReadOnlySpan<byte> body)
    {
        System.Text.Unicode.Utf8.ToUtf16(body, new char[body.Length], out var read, out _, replaceInvalidSequences: false);
        return read;
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(VitalsPayload.MaxBytes + 1);
        try
        {
            var length = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(length, VitalsPayload.MaxBytes + 1 - length), cancellationToken)) > 0)
            {
                length += read;
                if (length > VitalsPayload.MaxBytes)
                {
                    return null;
                }
            }
            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static IResult Unavailable(HttpContext context, string detail)
    {
        context.Response.Headers.RetryAfter = "1";
        return ApiProblems.Problem(StatusCodes.Status503ServiceUnavailable, "Try again", detail);
    }

}
