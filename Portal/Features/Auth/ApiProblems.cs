namespace Portal.Features.Auth;

/// <summary>
/// RFC 7807 bodies for API errors, written through ASP.NET Core's problem-details service: the one helper every
/// endpoint answers its 4xx and 5xx with (a title saying what kind of problem, a detail naming the parameter and what it takes).
/// </summary>
public static class ApiProblems
{
    /// <summary>A problem of <paramref name="status"/>: its kind in the title, what to do about it in the detail.</summary>
    public static IResult Problem(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(title: title, detail: detail, statusCode: status, extensions: extensions);

    /// <summary>A 400 for a query-string parameter: the detail names it and what it takes ("limit must be a whole number from 1 to 1000.").</summary>
    public static IResult InvalidParameter(string detail) => Problem(StatusCodes.Status400BadRequest, "Invalid query parameter", detail);

    /// <summary>A 404 for something the address names that does not exist.</summary>
    public static IResult NotFound(string title, string detail) => Problem(StatusCodes.Status404NotFound, title, detail);

    public static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api");

    /// <summary>
    /// A JSON body read by the endpoint rather than bound: a bound body makes routing answer 415 to a caller not
    /// allowed to post at all, before authorization answers 403. The problem, for a 400, when it is not JSON of <typeparamref name="T"/>.
    /// </summary>
    public static async Task<(T? Body, string? Problem)> ReadJsonAsync<T>(HttpContext context, CancellationToken cancellationToken) where T : class
    {
        if (!context.Request.HasJsonContentType())
        {
            return (null, "Content-Type: application/json");
        }
        try
        {
            return (await context.Request.ReadFromJsonAsync<T>(cancellationToken), null);
        }
        catch (System.Text.Json.JsonException ex)
        {
            return (null, $"not JSON of the expected shape: {ex.Message}");
        }
    }

    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
