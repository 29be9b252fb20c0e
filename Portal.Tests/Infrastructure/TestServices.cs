namespace Portal.Tests.Infrastructure;

/// <summary>
/// The real services the tests run against: those `./portal test` started for this run (its PORTAL_TEST_* variables),
/// else those of the portal `./portal up` runs from this checkout (PORTAL_STATE, or .portal/ at the repository root),
/// so that one test runs from an IDE or `dotnet test --filter` after `./portal up`. A test that needs a service that is
/// in neither fails loudly, naming both ways: it never skips itself.
/// </summary>
public static class TestServices
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> UpState = new(ReadUpState);

    public static string PostgresAdmin => Required("PORTAL_TEST_POSTGRES", "ConnectionStrings__Portal");

    public static string Redis => Required("PORTAL_TEST_REDIS", "ConnectionStrings__Redis");

    public static string PrometheusUrl => Required("PORTAL_TEST_PROMETHEUS", "Prometheus__Url");

    private static string Required(string name, string upName) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value
        : UpState.Value.TryGetValue(upName, out var up) && up.Length > 0 ? up
        : throw new InvalidOperationException(
            $"{name} is not set and no portal runs from this checkout: run the tests with ./portal test (it starts PostgreSQL, Redis and Prometheus for them), " +
            "or start the services once with ./portal up and run single tests with dotnet test --filter.");

    // `./portal up` keeps its services' addresses in secrets/env as shell exports (printf %q: export Name=value, each special character backslash-escaped).
    private static Dictionary<string, string> ReadUpState()
    {
        var state = Environment.GetEnvironmentVariable("PORTAL_STATE") is { Length: > 0 } folder ? folder : Repository.File(".portal");
        var env = Path.Combine(state, "secrets", "env");
        if (!File.Exists(env))
        {
            return [];
        }
        return File.ReadAllLines(env)
            .Where(line => line.StartsWith("export ", StringComparison.Ordinal) && line.Contains('=', StringComparison.Ordinal))
            .Select(line => line["export ".Length..].Split('=', 2))
            .ToDictionary(pair => pair[0], pair => System.Text.RegularExpressions.Regex.Replace(pair[1], @"\\(.)", "$1"));
    }
}
