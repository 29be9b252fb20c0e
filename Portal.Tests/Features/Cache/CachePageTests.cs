using Bunit;
using Portal.Features.Cache;
using Portal.Tests.Infrastructure;
using StackExchange.Redis;

namespace Portal.Tests.Features.Cache;

public sealed class CachePageTests : PortalComponentTest
{
    [Theory]
    [InlineData(0.5, "critical", "50.0 % · critical")]
    [InlineData(0.7, "warning", "70.0 % · low")]
    [InlineData(0.95, "ok", "95.0 %")]
    public void HitRatioChip_SeedThresholds_FlagTheRatio(double ratio, string level, string text)
    {
        var chip = Render<HitRatioChip>(parameters => parameters.Add(component => component.Ratio, ratio));

        var element = chip.Find("[data-level]");
        Assert.Equal(level, element.GetAttribute("data-level"));
        Assert.Equal(text, element.TextContent.Replace('\u00a0', ' ').Trim());
    }

    [Fact]
    public async Task RedisStatistics_FromInfo_CountTheLookupsMade()
    {
        await using var server = await RedisServer.StartAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{server.ConnectionString},allowAdmin=true");
        var db = redis.GetDatabase();
        var before = await RedisStatistics.ReadAsync("test", redis); // the client's own start-up lookups count too
        await db.StringSetAsync("k", "v");
        for (var i = 0; i < 3; i++)
        {
            await db.StringGetAsync("k");
        }
        await db.StringGetAsync("missing");

        var statistics = await RedisStatistics.ReadAsync("test", redis);

        Assert.Equal(before.KeyspaceHits + 3, statistics.KeyspaceHits);
        Assert.Equal(before.KeyspaceMisses + 1, statistics.KeyspaceMisses);
        Assert.Equal((double)statistics.KeyspaceHits / (statistics.KeyspaceHits + statistics.KeyspaceMisses), statistics.HitRatio);
        Assert.Equal(1, statistics.KeysPerDatabase["db0"]);
        Assert.True(statistics.UsedMemoryBytes > 0);
        Assert.Equal("noeviction", statistics.EvictionPolicy);
    }
}
