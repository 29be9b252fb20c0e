using System.Net.Http.Json;
using System.Text.Json;

namespace Portal.Tests.Infrastructure;

/// <summary>Reads <c>/readyz</c> as a client would: the status code and the JSON body, parsed independently of the portal's types.</summary>
public sealed record Readiness(int StatusCode, string Status, IReadOnlyDictionary<string, JsonElement> Dependencies)
{
    public static async Task<Readiness> GetAsync(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var dependencies = body.GetProperty("dependencies").EnumerateArray()
            .ToDictionary(dependency => dependency.GetProperty("name").GetString()!, dependency => dependency.Clone());
        return new Readiness((int)response.StatusCode, body.GetProperty("status").GetString()!, dependencies);
    }

    public string StatusOf(string dependency) => Dependencies[dependency].GetProperty("status").GetString()!;

    public string? DescriptionOf(string dependency) => Dependencies[dependency].GetProperty("description").GetString();

    public string? LastErrorOf(string dependency) => Dependencies[dependency].GetProperty("lastError").GetString();
}
