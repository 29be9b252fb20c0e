using Portal.Data;
using StackExchange.Redis;

namespace Portal.Features.Cache;

public static class CacheServiceCollectionExtensions
{
    public const string ConnectionStringName = "Redis";

    /// <summary>The portal's Redis. It may be down at start: the multiplexer keeps reconnecting and the Cache panel says so meanwhile.</summary>
    public static IServiceCollection AddPortalCache(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetRequiredConnectionString(ConnectionStringName, "Redis");

        services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(connectionString);
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = 2_000;
            options.AsyncTimeout = 2_000;
            options.SyncTimeout = 2_000;
            options.ClientName ??= "portal";
            return ConnectionMultiplexer.Connect(options);
        });
        return services;
    }
}
