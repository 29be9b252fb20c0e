using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Portal.Components;
using Portal.Features.Auth;

namespace Portal.Features.Lab;

/// <summary>
/// The lab API. CI posts with a Developer token: <c>POST /api/v1/lab/lighthouse?service=&amp;page=</c> takes a Lighthouse
/// JSON result (or an <c>@lhci/cli</c> run with <c>lhr</c>); <c>POST /api/v1/loadtests?service=&amp;scenario=</c> takes
/// k6's <c>--summary-export</c> file, the data of its <c>handleSummary()</c>, or autocannon's <c>--json</c> output.
/// Viewers read the runs (<c>?window=</c>), a Lighthouse run's full report and a load test's summary as posted.
/// </summary>
public static partial class LabEndpoints
{
    /// <summary>A Lighthouse result with its screenshots is a few megabytes; a summary far less.</summary>
    public const long MaxBodyBytes = 16 * 1024 * 1024;

    public sealed record RecordedResponse(long Id, string Service, string Name, string Link);

    public static IEndpointRouteBuilder MapLabApi(this IEndpointRouteBuilder endpoints)
    {
        var developer = endpoints.MapGroup("/api/v1").RequireAuthorization(policy => policy.RequireRole(PortalRoles.Developer));
        developer.MapPost("/lab/lighthouse", async (HttpContext context, LabResults results, CancellationToken cancellationToken) =>
        {
            var query = context.Request.Query;
            if (Name(query["service"], "service") is { } serviceProblem)
            {
                return ApiProblems.InvalidParameter(serviceProblem);
            }
            var page = query["page"].ToString();
            if (page.Length > 0 && PageProblem(page) is { } pageProblem)
            {
                return ApiProblems.InvalidParameter(pageProblem);
            }
            var (body, problem) = await ReadAsync(context, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }
            using (body)
            {
                var (result, report, invalid) = LighthouseResultReader.Parse(body!.RootElement);
                if (invalid is not null)
                {
                    return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid Lighthouse result", invalid);
                }
                var service = query["service"].ToString();
                var name = page.Length > 0 ? page : new Uri(result!.RequestedUrl).AbsolutePath;
                var id = await results.RecordLighthouseAsync(service, name, LabSources.Api, result!, report, cancellationToken);
                return Results.Created(PortalLinks.LabRun(id), new RecordedResponse(id, service, name, PortalLinks.LabRun(id)));
            }
        }).WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes));

        developer.MapPost("/loadtests", async (HttpContext context, LabResults results, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var query = context.Request.Query;
            if ((Name(query["service"], "service") ?? Name(query["scenario"], "scenario")) is { } nameProblem)
            {
                return ApiProblems.InvalidParameter(nameProblem);
            }
            var (body, problem) = await ReadAsync(context, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }
            using (body)
            {
                var (run, invalid) = LoadTestSummary.Parse(body!.RootElement, time.GetUtcNow());
                if (invalid is not null)
                {
                    return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid load-test summary", invalid);
                }
                var (service, scenario) = (query["service"].ToString(), query["scenario"].ToString());
                var id = await results.RecordLoadTestAsync(service, scenario, run!, body.RootElement, cancellationToken);
                var link = PortalLinks.LoadTests(service, scenario);
                return Results.Created(link, new RecordedResponse(id, service, scenario, link));
            }
        }).WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes));

        // A run's full report in Lighthouse's own viewer (a page: signed-out visitors are sent to sign in).
        endpoints.MapGet(PortalLinks.LabRuns + "/{id:long}", async (long id, LabResults results, LighthouseViewer viewer, CancellationToken cancellationToken) =>
            await results.LighthouseReportAsync(id, cancellationToken) is not { } gzip ? Results.NotFound()
            : viewer.Html(System.Text.Encoding.UTF8.GetString(LabResults.Gunzip(gzip))) is { } html ? Results.Content(html, "text/html; charset=utf-8")
            : Results.Bytes(LabResults.Gunzip(gzip), "application/json")).RequireAuthorization(policy => policy.RequireRole(PortalRoles.Viewer));

        var viewer = endpoints.MapGroup("/api/v1").RequireAuthorization(policy => policy.RequireRole(PortalRoles.Viewer));
        viewer.MapGet("/lab/lighthouse", async (HttpRequest request, LabResults results, TimeProvider time, CancellationToken cancellationToken) =>
            TimeRange.FromApiQuery(request.Query, time.GetUtcNow(), fallback: "30d") is { } window
                ? Results.Ok(await results.LighthouseRunsAsync(window.From, window.To, Given(request.Query["service"]), cancellationToken))
                : ApiProblems.InvalidParameter(TimeRange.WindowParameterRule));
        viewer.MapGet("/lab/lighthouse/{id:long}/report", async (long id, LabResults results, CancellationToken cancellationToken) =>
            await results.LighthouseReportAsync(id, cancellationToken) is { } gzip
                ? Results.Bytes(LabResults.Gunzip(gzip), "application/json")
                : ApiProblems.NotFound("No report", $"Lighthouse run {id} does not exist, or its full report is past Lab:ReportRetentionDays."));
        viewer.MapGet("/loadtests", async (HttpRequest request, LabResults results, TimeProvider time, CancellationToken cancellationToken) =>
            TimeRange.FromApiQuery(request.Query, time.GetUtcNow(), fallback: "30d") is { } window
                ? Results.Ok(await results.LoadTestsAsync(window.From, window.To, Given(request.Query["service"]), Given(request.Query["scenario"]), cancellationToken))
                : ApiProblems.InvalidParameter(TimeRange.WindowParameterRule));
        viewer.MapGet("/loadtests/{id:long}/summary", async (long id, LabResults results, CancellationToken cancellationToken) =>
            await results.LoadTestSummaryAsync(id, cancellationToken) is { } summary
                ? Results.Bytes(summary, "application/json")
                : ApiProblems.NotFound("Unknown load test", $"No load test {id}."));
        return endpoints;
    }

    private static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>The problem with a service or scenario name, or null: 1–100 letters, digits, dots, dashes and underscores.</summary>
    public static string? Name(string? value, string parameter) =>
        string.IsNullOrEmpty(value) ? $"{parameter} is required: the name results are filed under (letters, digits, '.', '-', '_')."
        : !NamePattern().IsMatch(value) ? $"{parameter} takes 1–100 letters, digits, '.', '-' and '_'."
        : null;

    /// <summary>The problem with a page (a path of the service: /checkout), or null.</summary>
    public static string? PageProblem(string page) =>
        page.Length > 300 || !page.StartsWith('/') || page.Any(char.IsControl) ? "page is a path of the service starting with '/' (at most 300 characters)." : null;

    private static async Task<(JsonDocument? Body, IResult? Problem)> ReadAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (!context.Request.HasJsonContentType())
        {
            return (null, ApiProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the result as JSON: Content-Type: application/json."));
        }
        try
        {
            return (await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { MaxDepth = 128 }, cancellationToken), null);
        }
        catch (JsonException ex)
        {
            return (null, ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid JSON", $"The body is not JSON: {ex.Message}"));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, ApiProblems.Problem(StatusCodes.Status413PayloadTooLarge, "Too large", $"The body is over {MaxBodyBytes / 1024 / 1024} MB."));
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex NamePattern();
}
