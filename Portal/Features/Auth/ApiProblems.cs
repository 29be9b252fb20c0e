namespace Portal.Features.Auth;

/// <summary>RFC 7807 bodies for API errors, written through ASP.NET Core's problem-details service.</summary>
public static class ApiProblems
{
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
