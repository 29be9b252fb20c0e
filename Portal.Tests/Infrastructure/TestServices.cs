namespace Portal.Tests.Infrastructure;

/// <summary>
/// The real services `./portal test` started for this run. A test that needs one fails loudly when it is
/// missing: it never skips itself.
/// </summary>
public static class TestServices
{
    public static string PostgresAdmin => Required("PORTAL_TEST_POSTGRES");

    public static string Redis => Required("PORTAL_TEST_REDIS");

    public static string PrometheusUrl => Required("PORTAL_TEST_PROMETHEUS");

    /// <summary>Restarts the test cluster (fast shutdown, then start; returns once it accepts connections again).</summary>
    public static async Task RestartPostgresAsync()
    {
        using var restart = System.Diagnostics.Process.Start("bash", [Required("PORTAL_TEST_POSTGRES_RESTART")]);
        await restart.WaitForExitAsync();
        if (restart.ExitCode != 0)
        {
            throw new InvalidOperationException($"Restarting the test PostgreSQL failed with exit code {restart.ExitCode}.");
        }
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set: run the tests with ./portal test, which starts PostgreSQL, Redis and Prometheus for them.");
}
