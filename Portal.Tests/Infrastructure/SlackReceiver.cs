using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// What Slack would receive (the only fake of the tests: Slack itself cannot run here): an incoming-webhook endpoint on
/// loopback that records every message and answers with the statuses a test scripts (200 once the script is used up).
/// </summary>
public sealed class SlackReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<(int Status, int? RetryAfterSeconds)> script = new();

    public sealed record Received(DateTimeOffset At, int AnsweredWith, JsonElement Body);

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
            Messages.Enqueue(new Received(DateTimeOffset.UtcNow, status, body));
            if (retryAfter is { } seconds)
            {
                response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            return Results.Text(status == 200 ? "ok" : "failure", statusCode: status);
        });
    }

    /// <summary>The webhook's address (its last part stands for the secret Slack gives).</summary>
    public string WebhookUrl => $"{app.Urls.Single()}/services/T000/B000/secret-part";

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

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
