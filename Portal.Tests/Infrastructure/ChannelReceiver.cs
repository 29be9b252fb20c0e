using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// What PagerDuty, Opsgenie, Microsoft Teams and an Alertmanager webhook receiver would receive (they cannot run here):
/// each endpoint on loopback checks the request against the service's documented schema and limits, and answers as the
/// service does — accepted (202, or 200 for a webhook), or refused naming what is wrong (PagerDuty's 400 "invalid
/// event", Opsgenie's 422, Teams' 400 / 413). A test can script failures (a status, and Retry-After for 429) first.
/// </summary>
public sealed class ChannelReceiver : IAsyncDisposable
{
    public const string PagerDutyKey = "R0UTINGKEY0123456789abcdef012345"; // PagerDuty's keys are 32 characters
    public const string OpsgenieKey = "genie-key-0000-1111";
    public const string WebhookToken = "hook-token-abc";

    private readonly WebApplication app;
    private readonly ConcurrentQueue<(int Status, int? RetryAfterSeconds)> script = new();

    /// <param name="Problems">What the service would refuse in it (empty when accepted).</param>
    public sealed record Received(string Channel, string Path, int AnsweredWith, JsonElement Body, string? Authorization, int Bytes, IReadOnlyList<string> Problems);

    public ConcurrentQueue<Received> Requests { get; } = new();

    public IReadOnlyList<Received> Of(string channel) => Requests.Where(request => request.Channel == channel).ToList();

    private ChannelReceiver()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        app = builder.Build();
        app.MapPost("/pagerduty/v2/enqueue", (HttpRequest request) => Handle(request, "pagerduty", PagerDutyProblems,
            accepted: body => Results.Json(new { status = "success", message = "Event processed", dedup_key = body.GetProperty("dedup_key").GetString() }, statusCode: 202),
            refused: problems => Results.Json(new { status = "invalid event", message = "Event object is invalid", errors = problems }, statusCode: 400)));
        app.MapPost("/opsgenie/v2/alerts", (HttpRequest request) => Handle(request, "opsgenie", OpsgenieCreateProblems, OpsgenieAccepted, OpsgenieRefused));
        foreach (var action in new[] { "close", "acknowledge" })
        {
            app.MapPost($"/opsgenie/v2/alerts/{{alias}}/{action}", (HttpRequest request, string alias) => Handle(request, "opsgenie",
                (body, auth, _) => [.. OpsgenieAuth(auth), .. request.Query["identifierType"] == "alias" ? Array.Empty<string>() : ["identifierType must be alias"],
                    .. alias.Length is 0 or > 512 ? ["alias must be 1 to 512 characters"] : Array.Empty<string>(), .. Longer(body, "note", 25_000), .. Longer(body, "source", 100),
                    .. Longer(body, "user", 100)],
                OpsgenieAccepted, OpsgenieRefused));
        }
        app.MapPost("/teams/workflow", (HttpRequest request) => Handle(request, "teams", TeamsProblems,
            accepted: _ => Results.StatusCode(202),
            refused: problems => problems.Any(problem => problem.StartsWith("message size", StringComparison.Ordinal))
                ? Results.Text(string.Join("; ", problems), statusCode: 413) : Results.Text(string.Join("; ", problems), statusCode: 400)));
        app.MapPost("/webhook", (HttpRequest request) => Handle(request, "webhook", WebhookProblems,
            accepted: _ => Results.Ok(), refused: problems => Results.Text(string.Join("; ", problems), statusCode: 400)));
    }

    private static IResult OpsgenieAccepted(JsonElement _) => Results.Json(new { result = "Request will be processed", took = 0.01, requestId = Guid.NewGuid() }, statusCode: 202);

    private static IResult OpsgenieRefused(IReadOnlyList<string> problems) => problems.Contains("Key format is not valid!")
        ? Results.Json(new { message = "Key format is not valid!", took = 0.0 }, statusCode: 401)
        : Results.Json(new { message = string.Join("; ", problems), took = 0.0 }, statusCode: 422);

    private async Task<IResult> Handle(HttpRequest request, string channel, Func<JsonElement, string?, int, IReadOnlyList<string>> problemsOf,
        Func<JsonElement, IResult> accepted, Func<IReadOnlyList<string>, IResult> refused)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var bytes = Encoding.UTF8.GetByteCount(text);
        var body = JsonSerializer.Deserialize<JsonElement>(text);
        string? authorization = request.Headers.Authorization;
        var problems = problemsOf(body, authorization, bytes);
        if (script.TryDequeue(out var next))
        {
            Requests.Enqueue(new Received(channel, request.Path, next.Status, body, authorization, bytes, problems));
            if (next.RetryAfterSeconds is { } seconds)
            {
                request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            return Results.Text("scripted failure", statusCode: next.Status);
        }
        var result = problems.Count == 0 ? accepted(body) : refused(problems);
        Requests.Enqueue(new Received(channel, request.Path, problems.Count == 0 ? (channel == "webhook" ? 200 : 202) : 400, body, authorization, bytes, problems));
        return result;
    }

    /// <summary>PagerDuty's Events API v2 (developer.pagerduty.com, "Send an Alert Event"; events at most 512 KB).</summary>
    private static IReadOnlyList<string> PagerDutyProblems(JsonElement body, string? authorization, int bytes)
    {
        var problems = new List<string>();
        if (bytes > 512 * 1024)
        {
            problems.Add("event larger than 512 KB");
        }
        if (String(body, "routing_key") is not { Length: 32 })
        {
            problems.Add("routing_key must be the 32-character integration key");
        }
        var action = String(body, "event_action");
        if (action is not ("trigger" or "acknowledge" or "resolve"))
        {
            problems.Add("event_action must be trigger, acknowledge or resolve");
        }
        if (String(body, "dedup_key") is { Length: > 255 })
        {
            problems.Add("dedup_key longer than 255 characters");
        }
        if (action == "trigger")
        {
            if (!body.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object)
            {
                problems.Add("payload is required for a trigger");
                return problems;
            }
            if (String(payload, "summary") is not { Length: > 0 and <= 1024 })
            {
                problems.Add("payload.summary is required, at most 1024 characters");
            }
            if (String(payload, "source") is not { Length: > 0 })
            {
                problems.Add("payload.source is required");
            }
            if (String(payload, "severity") is not ("critical" or "error" or "warning" or "info"))
            {
                problems.Add("payload.severity must be critical, error, warning or info");
            }
            if (payload.TryGetProperty("timestamp", out var timestamp) && !DateTimeOffset.TryParse(timestamp.GetString(), System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                problems.Add("payload.timestamp must be ISO 8601");
            }
            if (body.TryGetProperty("links", out var links) && links.EnumerateArray().Any(link => String(link, "href") is not { Length: > 0 }))
            {
                problems.Add("links[].href is required");
            }
        }
        return problems;
    }

    private static IEnumerable<string> OpsgenieAuth(string? authorization) =>
        authorization == $"GenieKey {OpsgenieKey}" ? [] : ["Key format is not valid!"];

    /// <summary>Opsgenie's Alert API, create (message 130, alias 512, description 15,000, entity 512, source 100, 20 tags of 50).</summary>
    private static IReadOnlyList<string> OpsgenieCreateProblems(JsonElement body, string? authorization, int bytes)
    {
        var problems = OpsgenieAuth(authorization).ToList();
        if (String(body, "message") is not { Length: > 0 and <= 130 })
        {
            problems.Add("message is required, at most 130 characters");
        }
        problems.AddRange(Longer(body, "alias", 512));
        problems.AddRange(Longer(body, "description", 15_000));
        problems.AddRange(Longer(body, "entity", 512));
        problems.AddRange(Longer(body, "source", 100));
        if (String(body, "priority") is { } priority && priority is not ("P1" or "P2" or "P3" or "P4" or "P5"))
        {
            problems.Add("priority must be P1 to P5");
        }
        if (body.TryGetProperty("tags", out var tags) && (tags.GetArrayLength() > 20 || tags.EnumerateArray().Any(tag => tag.GetString()!.Length > 50)))
        {
            problems.Add("at most 20 tags of at most 50 characters");
        }
        if (body.TryGetProperty("details", out var details) && details.EnumerateObject().Any(detail => detail.Value.ValueKind != JsonValueKind.String))
        {
            problems.Add("details are string values");
        }
        return problems;
    }

    /// <summary>A Teams Workflows webhook: a message whose attachment is an Adaptive Card, the whole at most 28 KB.</summary>
    private static IReadOnlyList<string> TeamsProblems(JsonElement body, string? authorization, int bytes)
    {
        var problems = new List<string>();
        if (bytes > 28 * 1024)
        {
            problems.Add($"message size {bytes} bytes is over 28 KB");
        }
        if (String(body, "type") != "message" || !body.TryGetProperty("attachments", out var attachments) || attachments.GetArrayLength() == 0)
        {
            problems.Add("a message with attachments is expected");
            return problems;
        }
        foreach (var attachment in attachments.EnumerateArray())
        {
            if (String(attachment, "contentType") != "application/vnd.microsoft.card.adaptive" || !attachment.TryGetProperty("content", out var card)
                || String(card, "type") != "AdaptiveCard" || String(card, "version") is null || !card.TryGetProperty("body", out var blocks) || blocks.ValueKind != JsonValueKind.Array)
            {
                problems.Add("each attachment is an Adaptive Card (contentType, type, version, body)");
                continue;
            }
            if (blocks.EnumerateArray().Any(block => String(block, "type") is null))
            {
                problems.Add("every element of the card's body has a type");
            }
        }
        return problems;
    }

    private static readonly string[] WebhookFields = ["version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "alerts"];

    private static readonly string[] WebhookAlertFields = ["status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"];

    /// <summary>Alertmanager's webhook payload, version 4 (prometheus.io, "webhook_config"): every field there.</summary>
    private static IReadOnlyList<string> WebhookProblems(JsonElement body, string? authorization, int bytes)
    {
        var problems = WebhookFields.Where(field => !body.TryGetProperty(field, out _)).Select(field => $"missing {field}").ToList();
        if (String(body, "version") != "4")
        {
            problems.Add("version must be \"4\"");
        }
        if (body.TryGetProperty("alerts", out var alerts))
        {
            foreach (var alert in alerts.EnumerateArray())
            {
                problems.AddRange(WebhookAlertFields.Where(field => !alert.TryGetProperty(field, out _)).Select(field => $"alert missing {field}"));
                if (String(alert, "status") is not ("firing" or "resolved"))
                {
                    problems.Add("alert status must be firing or resolved");
                }
            }
        }
        return problems;
    }

    private static IEnumerable<string> Longer(JsonElement body, string field, int limit) =>
        String(body, field) is { } value && value.Length > limit ? [$"{field} longer than {limit} characters"] : [];

    private static string? String(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public string Url => app.Urls.Single();

    public static ChannelReceiver Start()
    {
        var receiver = new ChannelReceiver();
        receiver.app.StartAsync().GetAwaiter().GetResult();
        return receiver;
    }

    /// <summary>The next answers, in order, whatever the request: a status and, for 429, a Retry-After in seconds.</summary>
    public void Answer(params (int Status, int? RetryAfterSeconds)[] answers)
    {
        foreach (var answer in answers)
        {
            script.Enqueue(answer);
        }
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
