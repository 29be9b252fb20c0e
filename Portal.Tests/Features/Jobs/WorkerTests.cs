using Dapper;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Jobs;
using Portal.Jobs;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Jobs;

public sealed class WorkerTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task Start_RecurringJobNoLongerInCatalogue_IsRemovedAndHeartbeatRecorded()
    {
        // A recurring job left behind by an older build.
        var settings = PortalSettings.For(database);
        await using (var first = await WorkerHost.StartAsync(settings))
        {
            first.Services.GetRequiredService<IRecurringJobManager>()
                .AddOrUpdate<ICatalogueJobRunner>("retired-job", runner => runner.RunAsync("retired-job", null, CancellationToken.None), Cron.Yearly());
        }

        await using var worker = await WorkerHost.StartAsync(settings);

        using (var connection = worker.Services.GetRequiredService<JobStorage>().GetConnection())
        {
            Assert.Equal(Catalogue.Jobs.Select(job => job.Id).Order(), connection.GetRecurringJobs().Select(job => job.Id).Order());
            // The web process triggers these ("Run now") without the worker's assembly: the invoked type must be the portal's.
            Assert.All(connection.GetRecurringJobs(), job => Assert.Equal(typeof(ICatalogueJobRunner).Assembly, job.Job.Type.Assembly));
        }

        await using var data = new NpgsqlConnection(database.ConnectionString);
        await Eventually.HoldsAsync(
            async () => await data.ExecuteScalarAsync<int>(
                "SELECT count(*) FROM worker_heartbeats WHERE node = @Node AND beat_at > now() - interval '5 seconds'",
                new { WorkerIdentity.Current.Node }) == 1,
            TimeSpan.FromSeconds(15), "the heartbeat job recorded this worker");
    }
}
