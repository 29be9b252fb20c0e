namespace Portal.Features.Auth;

/// <summary>RFC 7807 bodies for API errors, written through ASP.NET Core's problem-details service.</summary>
public static class ApiProblems
{
    public static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api");

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
