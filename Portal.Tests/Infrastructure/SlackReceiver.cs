using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// What Slack would receive (the only fake of the tests: Slack itself cannot run here): an incoming-webhook endpoint and
/// the Web API's <c>chat.postMessage</c> on loopback, recording every message and answering with the statuses a test
/// scripts (200 once the script is used up; the Web API's answer to 200 is <c>{ ok, channel, ts }</c> as Slack's).
/// </summary>
public sealed class SlackReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<(int Status, int? RetryAfterSeconds)> script = new();

    /// <param name="Ts">The message's timestamp id, as the Web API answered it (null for a webhook or a failure).</param>
    public sealed record Received(DateTimeOffset At, int AnsweredWith, JsonElement Body, string Path, string? Authorization = null, string? Ts = null)
    {
        public string? Text => Body.GetProperty("text").GetString();

        public string? ThreadTs => Body.TryGetProperty("thread_ts", out var thread) ? thread.GetString() : null;
    }

    public ConcurrentQueue<Received> Messages { get; } = new();

    private SlackReceiver()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        app = builder.Build();
        app.MapPost("/services/T000/B000/secret-part", async (HttpRequest request, HttpResponse response) =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body);
            var (status, retryAfter) = script.TryDequeue(out var next) ? next : (200, null);
            // An incoming webhook answers a message it refuses with 400 and the error's name as its body.
            if (status == 200 && Refusal(body) is { } refusal)
            {
                Messages.Enqueue(new Received(DateTimeOffset.UtcNow, 400, body, request.Path));
                return Results.Text(refusal, statusCode: 400);
            }
            Messages.Enqueue(new Received(DateTimeOffset.UtcNow, status, body, request.Path));
            RetryAfter(response, retryAfter);
            return Results.Text(status == 200 ? "ok" : "failure", statusCode: status);
        });
        app.MapPost("/api/chat.postMessage", async (HttpRequest request, HttpResponse response) =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body);
            var (status, retryAfter) = script.TryDequeue(out var next) ? next : (200, null);
            // The Web API answers 200 with ok: false and the error's name.
            if (status == 200 && Refusal(body) is { } refusal)
            {
                Messages.Enqueue(new Received(DateTimeOffset.UtcNow, 400, body, request.Path, request.Headers.Authorization));
                return Results.Json(new { ok = false, error = refusal });
            }
            var ts = status == 200 ? $"1700000000.{Interlocked.Increment(ref lastTs):000000}" : null;
            Messages.Enqueue(new Received(DateTimeOffset.UtcNow, status, body, request.Path, request.Headers.Authorization, ts));
            RetryAfter(response, retryAfter);
            return status == 200
                ? Results.Json(new { ok = true, channel = body.GetProperty("channel").GetString(), ts })
                : Results.Json(new { ok = false, error = "ratelimited" }, statusCode: status);
        });
    }

    private int lastTs;

    /// <summary>
    /// What Slack refuses of a message, by Block Kit's documented limits (https://api.slack.com/reference/block-kit/blocks):
    /// at most 50 blocks; a section's text and a context element's text at most 3,000 characters, a context at most 10
    /// elements. The whole message is refused (<c>invalid_blocks</c>); null when Slack would post it.
    /// </summary>
    public static string? Refusal(JsonElement message)
    {
        var blocks = new List<JsonElement>();
        if (message.TryGetProperty("blocks", out var top))
        {
            blocks.AddRange(top.EnumerateArray());
        }
        if (message.TryGetProperty("attachments", out var attachments))
        {
            blocks.AddRange(attachments.EnumerateArray().SelectMany(attachment => attachment.TryGetProperty("blocks", out var own) ? own.EnumerateArray() : []));
        }
        var tooLong = (JsonElement textObject) => textObject.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String && text.GetString()!.Length > 3000;
        var refused = blocks.Count > 50 || blocks.Any(block => block.GetProperty("type").GetString() switch
        {
            "section" => block.TryGetProperty("text", out var text) && tooLong(text),
            "context" => block.GetProperty("elements").GetArrayLength() > 10 || block.GetProperty("elements").EnumerateArray().Any(tooLong),
            _ => false,
        });
        return refused ? "invalid_blocks" : null;
    }

    /// <summary>The webhook's address (its last part stands for the secret Slack gives).</summary>
    public string WebhookUrl => $"{app.Urls.Single()}/services/T000/B000/secret-part";

    /// <summary>The Web API's root, for <c>Slack:ApiUrl</c>.</summary>
    public string ApiUrl => $"{app.Urls.Single()}/api/";

    private static void RetryAfter(HttpResponse response, int? seconds)
    {
        if (seconds is { } value)
        {
            response.Headers.RetryAfter = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public static SlackReceiver Start()
    {
        var receiver = new SlackReceiver();
        receiver.app.StartAsync().GetAwaiter().GetResult();
        return receiver;
    }

    /// <summary>The next answers, in order: a status and, for 429, a Retry-After in seconds.</summary>
    public void Answer(params (int Status, int? RetryAfterSeconds)[] answers)
    {
        foreach (var answer in answers)
        {
            script.Enqueue(answer);
        }
    }

    /// <summary>Forgets the answers not used yet: 200 from now on.</summary>
    public void ClearAnswers() => script.Clear();

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
