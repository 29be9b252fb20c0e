using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Vitals;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Vitals;

/// <summary>Raw events live in one partition per UTC day, made a week ahead and dropped past the retention.</summary>
public sealed class VitalsPartitionsTests : PortalOnFreshDatabase
{
    private static async Task<string[]> PartitionsAsync(NpgsqlConnection connection) => (await connection.QueryAsync<string>("""
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'vitals_events'::regclass ORDER BY 1
        """)).ToArray();

    private static string Name(DateTime day) => $"vitals_events_{day:yyyyMMdd}";

    [Fact]
    public async Task Maintenance_MakesAWeekAhead_MovesStrayRowsIn_DropsPastTheRetention()
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        // As start-up left it: yesterday to a week ahead — of the day the portal started, which a run crossing midnight
        // (UTC) must take from the partitions, not from its own clock (the last one is a week ahead of it). The database
        // is cloned from a template migrated earlier: one day before yesterday may come from it.
        var started = await PartitionsAsync(connection);
        var today = DateTime.ParseExact(started[^2]["vitals_events_".Length..], "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture).AddDays(-7);
        Assert.InRange(today, DateTime.UtcNow.Date.AddDays(-1), DateTime.UtcNow.Date);
        var expected = Enumerable.Range(-1, 9).Select(offset => Name(today.AddDays(offset))).Append("vitals_events_default").ToList();
        Assert.Subset(started.ToHashSet(), expected.ToHashSet());
        Assert.True(started.Except(expected).All(extra => extra == Name(today.AddDays(-2))), string.Join(", ", started));

        // A partition past the 30-day retention, and a day whose partition is missing with a row in the default one.
        var old = today.AddDays(-40);
        await connection.ExecuteAsync($"CREATE TABLE {Name(old)} PARTITION OF vitals_events FOR VALUES FROM ('{old:yyyy-MM-dd} 00:00+00') TO ('{old.AddDays(1):yyyy-MM-dd} 00:00+00')");
        await connection.ExecuteAsync($"DROP TABLE {Name(today.AddDays(7))}");
        await connection.ExecuteAsync("""
            INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, page, device)
            VALUES ('portal', @at, 'LCP', 1000, 1000, 'good', 'stray', '/', 'desktop'), ('portal', @old, 'LCP', 1000, 1000, 'good', 'old', '/', 'desktop')
            """, new { at = new DateTimeOffset(today.AddDays(7).AddHours(3), TimeSpan.Zero), old = new DateTimeOffset(old.AddHours(1), TimeSpan.Zero) });
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM vitals_events_default"));

        var store = App.Services.GetRequiredService<VitalsStore>();
        await store.MaintainPartitionsAsync();
        await store.MaintainPartitionsAsync(); // idempotent

        var partitions = await PartitionsAsync(connection);
        Assert.Contains(Name(today.AddDays(7)), partitions);
        Assert.DoesNotContain(Name(old), partitions);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM vitals_events_default"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>($"SELECT count(*) FROM {Name(today.AddDays(7))} WHERE event_id = 'stray'"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM vitals_events WHERE event_id = 'old'"));
    }
}
