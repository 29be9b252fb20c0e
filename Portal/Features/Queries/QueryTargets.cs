using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Data;

namespace Portal.Features.Queries;

/// <summary>A target as pages show it: where it is, never how to sign in to it.</summary>
/// <param name="Scope">Which of its statements are judged by default (<see cref="StatementScope"/>).</param>
public sealed record QueryTarget(string Name, string Host, int Port, string Database, string Username, string? Description)
{
    public StatementScope Scope { get; init; } = StatementScope.Everything;
}

/// <summary>
/// The monitored databases and a pooled data source for each. Every session is read-only and has a statement
/// time-out: a portal page can never write to, or hold up, a monitored database.
/// </summary>
public sealed class QueryTargets(IConfiguration configuration, IOptions<QueryOptions> options) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<NpgsqlDataSource>> dataSources = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<QueryTarget> All => ConnectionStrings()
        .Select(pair =>
        {
            var builder = new NpgsqlConnectionStringBuilder(pair.Value.ConnectionString);
            return new QueryTarget(pair.Key, builder.Host ?? "localhost", builder.Port, builder.Database ?? builder.Username ?? "", builder.Username ?? "", pair.Value.Description)
            {
                Scope = StatementScope.Of(pair.Value, builder.Username),
            };
        })
        .OrderBy(target => target.Name != QueryOptions.PortalTarget).ThenBy(target => target.Name, StringComparer.Ordinal)
        .ToList();

    public QueryTarget? Find(string? name) => All.FirstOrDefault(target => string.Equals(target.Name, name ?? QueryOptions.PortalTarget, StringComparison.OrdinalIgnoreCase));

    /// <summary>A read-only, time-limited connection to the target.</summary>
    public async Task<NpgsqlConnection> OpenAsync(string name, CancellationToken cancellationToken = default) =>
        await dataSources.GetOrAdd(name, key => new Lazy<NpgsqlDataSource>(() => Create(key))).Value.OpenConnectionAsync(cancellationToken);

    private NpgsqlDataSource Create(string name)
    {
        var target = ConnectionStrings().GetValueOrDefault(name) ?? throw new ArgumentException($"Unknown query target '{name}'.", nameof(name));
        var builder = new NpgsqlConnectionStringBuilder(target.ConnectionString)
        {
            ApplicationName = "portal (query statistics)",
            Options = $"-c statement_timeout={options.Value.StatementTimeoutMs} -c default_transaction_read_only=on",
            MaxPoolSize = 5,
        };
        return new NpgsqlDataSourceBuilder(builder.ConnectionString) { Name = $"target:{name}" }.Build();
    }

    private Dictionary<string, QueryTargetOptions> ConnectionStrings()
    {
        var targets = options.Value.Targets
            .Where(pair => !string.IsNullOrWhiteSpace(pair.Value.ConnectionString))
            .ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.OrdinalIgnoreCase);
        if (!targets.ContainsKey(QueryOptions.PortalTarget))
        {
            targets[QueryOptions.PortalTarget] = new QueryTargetOptions
            {
                ConnectionString = configuration.GetRequiredConnectionString(DataServiceCollectionExtensions.ConnectionStringName, "PostgreSQL"),
                Description = "The portal's own database",
                // It connects as the portal's own role, whose statements are the workload here (a configured target
                // connects as a role of its own, the monitoring role, whose statements are only the portal's reading).
                ExcludeUsers = string.Join(",", StatementScope.DefaultExcludedUsers),
            };
        }
        return targets;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in dataSources.Values.Where(lazy => lazy.IsValueCreated))
        {
            await source.Value.DisposeAsync();
        }
    }
}
