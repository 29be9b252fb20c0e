using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
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
            options.AllowAdmin = true; // INFO, for the Cache page
            return ConnectionMultiplexer.Connect(options);
        });

        services.AddOptions<CacheOptions>().Bind(configuration.GetSection(CacheOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<CacheStatistics>();
        services.AddSingleton(sp => new RedisCache(Microsoft.Extensions.Options.Options.Create(new RedisCacheOptions
        {
            InstanceName = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<CacheOptions>>().Value.KeyPrefix,
            ConnectionMultiplexerFactory = () => Task.FromResult(sp.GetRequiredService<IConnectionMultiplexer>()),
        })));
        services.AddSingleton<IDistributedCache, RedisTier>();
        services.AddSingleton<IMemoryCache, MemoryTier>(); // replaces AddMemoryCache's, which HybridCache would use

        services.AddHybridCache().AddSerializerFactory<CacheSerializer>();
        services.AddSingleton<CacheEntryStore>();
        services.AddSingleton<PortalCache>();
        services.AddSingleton<CacheOverview>();
        services.AddSingleton<RedisSamples>();
        return services;
    }
}
