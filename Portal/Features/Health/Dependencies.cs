namespace Portal.Features.Health;

/// <summary>The dependencies the portal watches, in the order the Overview and <c>/readyz</c> list them.</summary>
public static class Dependencies
{
    public const string PostgreSql = "postgresql";
    public const string Redis = "redis";
    public const string Prometheus = "prometheus";
    public const string Worker = "worker";

    public static IReadOnlyList<string> All { get; } = [PostgreSql, Redis, Prometheus, Worker];

    public static string Title(string name) => name switch
    {
        PostgreSql => "PostgreSQL",
        Redis => "Redis",
        Prometheus => "Prometheus",
        Worker => "Worker",
        _ => name,
    };
}
