using Portal.Components;
using System.Text.Json;
using MailKit;
using MimeKit;
using Portal.Features.Auth;

namespace Portal.Features.Reports;

/// <summary>
/// <c>/api/v1/reports</c>: the archive (Viewer) and one report's data; an archived report sent to an address, and a
/// preview generated now and sent (Admin).
/// </summary>
public static class ReportsEndpoints
{
    public sealed record ScopeRequest(List<string>? Services, List<string>? Apps, List<string>? Targets);

    /// <param name="Period"><c>last</c> (the last whole period, the default) or <c>so-far</c> (the period in progress).</param>
    public sealed record PreviewRequest(string? To, ScopeRequest? Scope, string? Schedule, string? TimeZone, string? Period = null);

    public sealed record SendRequest(string? To);

    public static IEndpointRouteBuilder MapReportsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1").RequireAuthorization(policy => policy.RequireRole(PortalRoles.Viewer));
        api.MapGet("/reports", async (ReportArchive archive, CancellationToken cancellationToken) => Results.Ok(await archive.ListAsync(cancellationToken: cancellationToken)));
        api.MapGet("/reports/{id:long}", async (long id, ReportArchive archive, CancellationToken cancellationToken) =>
            await archive.GetAsync(id, cancellationToken) is { } stored
                ? Results.Text(stored.DataJson, "application/json")
                : ApiProblems.NotFound("Unknown report", $"no report {id} in the archive"));
        // Appendix A's raw data: the key metrics and objectives of an archived report, as the e-mail attaches them.
        api.MapGet("/reports/{id:long}/" + ReportMail.CsvName, async (long id, ReportArchive archive, CancellationToken cancellationToken) =>
            await archive.GetAsync(id, cancellationToken) is { } stored
                ? Results.File(System.Text.Encoding.UTF8.GetBytes(ReportMail.KeyMetricsCsv(ReportArchive.Read(stored.DataJson))), "text/csv; charset=utf-8", ReportMail.CsvName)
                : ApiProblems.NotFound("Unknown report", $"no report {id} in the archive"));

        var admin = endpoints.MapGroup("/api/v1/reports").RequireAuthorization(policy => policy.RequireRole(PortalRoles.Admin));
        admin.MapPost("/preview", async (HttpContext context, Reports reports, ReportMailer mailer, CancellationToken cancellationToken) =>
        {
            var (body, problem) = await ApiProblems.ReadJsonAsync<PreviewRequest>(context, cancellationToken);
            var to = Address(body?.To);
            var schedule = body?.Schedule ?? ReportSchedules.Weekly;
            var timeZone = body?.TimeZone ?? "UTC";
            problem ??= body switch
            {
                null => "the body is a JSON object: { to, scope: { services, apps, targets }, schedule, timeZone }",
                _ when to is null => "to: one e-mail address",
                _ when !ReportSchedules.All.Contains(schedule) => $"schedule: one of {string.Join(", ", ReportSchedules.All)}",
                _ when !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _) => $"timeZone: '{timeZone}' is not a time zone (an IANA name such as Europe/Paris)",
                _ when body.Period is not (null or "last" or "so-far") => $"period: last (the last whole period) or so-far (the period in progress), not '{body.Period}'",
                _ => null,
            };
            if (problem is not null)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid preview", problem);
            }
            if (!mailer.Configured)
            {
                return ApiProblems.Problem(StatusCodes.Status503ServiceUnavailable, "No SMTP server", "set Smtp:Host (environment Smtp__Host) to send reports");
            }
            var scope = new ReportScope(body!.Scope?.Services ?? [], body.Scope?.Apps ?? [], body.Scope?.Targets ?? []);
            return await SendingAsync(async () =>
            {
                var id = await reports.PreviewAsync(context.User, to!, scope, schedule, timeZone, body.Period == "so-far", cancellationToken);
                return Results.Accepted($"/api/v1/reports/{id}", new { report = id, to = to!.Address });
            });
        });
        admin.MapPost("/{id:long}/send", async (long id, HttpContext context, Reports reports, ReportMailer mailer, CancellationToken cancellationToken) =>
        {
            var (body, problem) = await ApiProblems.ReadJsonAsync<SendRequest>(context, cancellationToken);
            var to = Address(body?.To);
            problem ??= to is null ? "to: one e-mail address, as { \"to\": \"lead@example.com\" }" : null;
            if (problem is not null)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid send", problem);
            }
            if (!mailer.Configured)
            {
                return ApiProblems.Problem(StatusCodes.Status503ServiceUnavailable, "No SMTP server", "set Smtp:Host (environment Smtp__Host) to send reports");
            }
            return await SendingAsync(async () => await reports.SendArchivedAsync(context.User, id, to!, cancellationToken)
                ? Results.Accepted($"/api/v1/reports/{id}", new { report = id, to = to!.Address })
                : ApiProblems.NotFound("Unknown report", $"no report {id} in the archive"));
        });
        // The archived report alone, for the browser's print (a print stylesheet: no background, no page break inside a table row).
        endpoints.MapGet("/reports/{id:long}/print", async (long id, ReportArchive archive, CancellationToken cancellationToken) =>
            await archive.GetAsync(id, cancellationToken) is { } stored
                ? Results.Content(stored.Html.Replace("</head>", PrintStyle + "</head>", StringComparison.Ordinal), "text/html; charset=utf-8")
                : ApiProblems.NotFound("Unknown report", $"no report {id} in the archive"))
            .RequireAuthorization(policy => policy.RequireRole(PortalRoles.Viewer));
        // The e-mails' unsubscribe link: no sign-in, the signed token is the authority. GET only asks (mail scanners
        // follow links); POST acts, from the page's button or a mail client's one-click (RFC 8058).
        endpoints.MapGet("/reports/unsubscribe", async (string? token, ReportSubscriptions subscriptions, CancellationToken cancellationToken) =>
            await subscriptions.ReadTokenAsync(token, cancellationToken) is var (_, recipient)
                ? Page("Unsubscribe", $"<p>Stop sending this report to <b>{Html(recipient)}</b>?</p>"
                    + $"<form method=\"post\" action=\"{PortalLinks.Unsubscribe(token!)}\"><button type=\"submit\">Unsubscribe</button></form>")
                : Page("Link not valid", "<p>This unsubscribe link is not valid, or its subscription has already ended.</p>", StatusCodes.Status400BadRequest))
            .AllowAnonymous();
        endpoints.MapPost("/reports/unsubscribe", async (string? token, ReportSubscriptions subscriptions, CancellationToken cancellationToken) =>
            await subscriptions.UnsubscribeAsync(token, cancellationToken) is { } unsubscribed
                ? Page("Unsubscribed", $"<p><b>{Html(unsubscribed)}</b> will not receive this report any more.</p>")
                : Page("Link not valid", "<p>This unsubscribe link is not valid, or its subscription has already ended.</p>", StatusCodes.Status400BadRequest))
            .AllowAnonymous().DisableAntiforgery();
        return endpoints;
    }

    private const string PrintStyle = "<style>@media print { body { background: #fff !important; } table { page-break-inside: auto; } tr, img { page-break-inside: avoid; } "
        + "a { color: inherit !important; text-decoration: none; } }</style>";

    private static string Html(string text) => System.Net.WebUtility.HtmlEncode(text);

    private static IResult Page(string title, string body, int status = StatusCodes.Status200OK) => Results.Content(
        $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · Portal</title></head>"
        + $"<body style=\"font-family: sans-serif; max-width: 36rem; margin: 4rem auto;\"><h1>{title}</h1>{body}</body></html>", "text/html; charset=utf-8", statusCode: status);

    private static MailboxAddress? Address(string? text) =>
        text is { Length: > 0 } && MailboxAddress.TryParse(text, out var address) && address.Address.Contains('@', StringComparison.Ordinal) ? address : null;

    // The SMTP server's refusal or absence is the answer's subject, never a stack trace; the report stays archived.
    private static async Task<IResult> SendingAsync(Func<Task<IResult>> send)
    {
        try
        {
            return await send();
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or ProtocolException or MailKit.Net.Smtp.SmtpCommandException or MailKit.Security.AuthenticationException)
        {
            return ApiProblems.Problem(StatusCodes.Status502BadGateway, "The SMTP server did not take the message", $"{ex.GetType().Name}: {ex.Message} (the report is in the archive)");
        }
    }
}
