using System.Net;
using Dapper;
using Npgsql;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Health;

public sealed class ReadinessTests(RunningPortalFixture fixture) : IClassFixture<RunningPortalFixture>
{
    private RunningPortal Running => fixture.Running;

    [Fact]
    public async Task Readyz_AllDependenciesUp_ReportsEachHealthy()
    {
        using var http = Running.Portal.CreateHttpClient();
        Readiness readiness = null!;
        await Eventually.HoldsAsync(async () => (readiness = await Readiness.GetAsync(http)).Status == "healthy",
            TimeSpan.FromSeconds(20), "every dependency healthy (the worker's first heartbeat included)");

        Assert.Equal(200, readiness.StatusCode);
        Assert.Equal(["postgresql", "redis", "prometheus", "worker"], readiness.Dependencies.Keys);
        Assert.All(readiness.Dependencies.Keys, name => Assert.Equal("healthy", readiness.StatusOf(name)));
        Assert.All(readiness.Dependencies.Values, dependency => Assert.True(dependency.GetProperty("latencyMs").GetDouble() >= 0));
        Assert.Contains("pg_stat_statements ready", readiness.DescriptionOf("postgresql"), StringComparison.Ordinal);
        Assert.StartsWith("Redis ", readiness.DescriptionOf("redis"), StringComparison.Ordinal);
        Assert.StartsWith("Prometheus ", readiness.DescriptionOf("prometheus"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthz_Always_AnswersHealthyWithoutProbing()
    {
        using var http = Running.Portal.CreateHttpClient();

        using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readyz_PortalDatabaseRefusesConnections_Returns503ThenRecovers()
    {
        using var http = Running.Portal.CreateHttpClient();
        var name = new NpgsqlConnectionStringBuilder(Running.Database.ConnectionString).Database;
        await using var admin = new NpgsqlConnection(TestServices.PostgresAdmin);
        await admin.OpenAsync();

        await admin.ExecuteAsync($"ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false");
        await admin.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @name", new { name });
        try
        {
            // The first probe may still meet a pooled connection being terminated; the next ones are refused.
            Readiness down = null!;
            await Eventually.HoldsAsync(
                async () => (down = await Readiness.GetAsync(http)).LastErrorOf("postgresql")?.Contains("is not currently accepting connections", StringComparison.Ordinal) == true,
                TimeSpan.FromSeconds(10), "PostgreSQL refusing connections is reported");

            Assert.Equal(503, down.StatusCode);
            Assert.Equal("unhealthy", down.Status);
            Assert.Equal("unhealthy", down.StatusOf("postgresql"));
            Assert.Equal("healthy", down.StatusOf("redis"));
        }
        finally
        {
            await admin.ExecuteAsync($"ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true");
        }

        Readiness recovered = null!;
        await Eventually.HoldsAsync(async () => (recovered = await Readiness.GetAsync(http)).StatusOf("postgresql") == "healthy",
            TimeSpan.FromSeconds(10), "PostgreSQL healthy again");
        Assert.Equal(200, recovered.StatusCode);
    }
}
