using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Vitals;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Vitals;

/// <summary>
/// The ingestion endpoint (anonymous, reachable from any browser) under hostile input: valid batches mutated by a real
/// fuzzer, Debian's zzuf (random bit flips at a ratio, reproducible by seed). No body may get a 5xx, and nothing of a
/// refused body may be stored.
/// </summary>
[StartEarly]
public sealed class VitalsFuzzTests : PortalOnFreshDatabase
{
    private const int Bodies = 10_000;

    private static readonly (string Name, double Value)[] Metrics = [("LCP", 1200), ("INP", 180), ("CLS", 0.05), ("FCP", 900), ("TTFB", 300)];

    private static readonly double[] Ratios = [0.00005, 0.0002, 0.002];

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Vitals:RequestsPerMinutePerKey"] = "1000000";
        settings["Vitals:RequestsPerMinutePerAddress"] = "1000000";
    }

    private static async Task<byte[]> ZzufAsync(byte[] input, int seed, double ratio)
    {
        using var zzuf = Process.Start(new ProcessStartInfo("zzuf", ["-r", ratio.ToString(System.Globalization.CultureInfo.InvariantCulture), "-s", seed.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("zzuf did not start: ./portal test installs it (Debian's zzuf)");
        var output = new MemoryStream();
        var reading = zzuf.StandardOutput.BaseStream.CopyToAsync(output);
        await zzuf.StandardInput.BaseStream.WriteAsync(input);
        zzuf.StandardInput.Close();
        await reading;
        await zzuf.WaitForExitAsync();
        return output.ToArray();
    }

    /// <summary>
    /// The mutated bodies: per ratio, one zzuf run over copies of the batch laid end to end, split back at the same
    /// offsets (zzuf flips bits in place and keeps the length) — a process per ratio instead of one per body. Each is
    /// named by how to make it again.
    /// </summary>
    private static async Task<List<(string Origin, byte[] Body)>> MutatedAsync(byte[] batch)
    {
        var bodies = new List<(string, byte[])>(Bodies);
        for (var index = 0; index < Ratios.Length; index++)
        {
            var copies = Bodies / Ratios.Length + (index < Bodies % Ratios.Length ? 1 : 0);
            var input = new byte[batch.Length * copies];
            for (var copy = 0; copy < copies; copy++)
            {
                batch.CopyTo(input, copy * batch.Length);
            }
            var seed = index + 1;
            var output = await ZzufAsync(input, seed, Ratios[index]);
            Assert.Equal(input.Length, output.Length);
            for (var copy = 0; copy < copies; copy++)
            {
                bodies.Add(($"zzuf -r {Ratios[index].ToString(System.Globalization.CultureInfo.InvariantCulture)} -s {seed}, body {copy}",
                    output[(copy * batch.Length)..((copy + 1) * batch.Length)]));
            }
        }
        return bodies;
    }

    [Fact]
    public async Task MutatedBatches_NeverA5xx_RefusedBodiesStoreNothing_AcceptedOnesAreStored()
    {
        var key = (await App.Services.GetRequiredService<VitalsApps>().PortalKeyAsync())!;
        var batch = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            key,
            events = Enumerable.Range(0, 8).Select(index => new
            {
                name = Metrics[index % Metrics.Length].Name, value = Metrics[index % Metrics.Length].Value, delta = Metrics[index % Metrics.Length].Value, rating = "good",
                id = $"v5-{index}-1700000000000-{index}", navigationType = "navigate", page = $"/orders/{index}?tab=lines", device = "mobile",
                connection = "4g", release = "2026.12.1", attribution = new { target = "main > div.o_list_view > table", url = "https://cdn.example/img.png" },
            }),
        }));

        using (var unmutated = await App.CreateHttpClient().PostAsync(new Uri("/api/v1/vitals", UriKind.Relative), new StringContent(Encoding.UTF8.GetString(batch), Encoding.UTF8, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.Accepted, unmutated.StatusCode);
        }
        await using (var clean = new NpgsqlConnection(Database.ConnectionString))
        {
            await clean.ExecuteAsync("TRUNCATE vitals_events");
        }

        var statuses = new Dictionary<HttpStatusCode, int>();
        long accepted = 0;
        var acceptedBodies = new System.Collections.Concurrent.ConcurrentBag<byte[]>();
        using var client = App.CreateHttpClient();
        // From one flipped bit a body to forty: broken JSON, bad UTF-8 in names and values, odd numbers, unknown fields.
        var mutated = await MutatedAsync(batch);
        Assert.Equal(Bodies, mutated.Count);
        // As many at once as a busy site's browsers: an accepted body waits for its group commit, so four at a time
        // mostly waited.
        await Parallel.ForEachAsync(mutated, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (item, cancellationToken) =>
        {
            var (origin, body) = item;
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            using var response = await client.PostAsync(new Uri("/api/v1/vitals", UriKind.Relative), content, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            Assert.True((int)response.StatusCode < 500, $"{origin}: {(int)response.StatusCode} {text}");
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                Interlocked.Add(ref accepted, JsonDocument.Parse(text).RootElement.GetProperty("accepted").GetInt64());
                acceptedBodies.Add(body);
            }
            else
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
            lock (statuses)
            {
                statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
            }
        });

        // Every accepted event is stored, except that an INP or CLS instance (app, id, metric) is kept once: the mutated
        // copies of one batch share their ids. Counted here from the accepted bodies themselves.
        var instances = new HashSet<(string, string)>();
        long once = 0, events = 0;
        foreach (var body in acceptedBodies)
        {
            using var document = JsonDocument.Parse(body);
            var list = document.RootElement.TryGetProperty("events", out var array) ? array.EnumerateArray().ToList() : [document.RootElement];
            foreach (var item in list)
            {
                events++;
                var name = item.GetProperty("name").GetString()!;
                if (name is "INP" or "CLS")
                {
                    instances.Add((item.GetProperty("id").GetString()!, name));
                }
                else
                {
                    once++;
                }
            }
        }
        Assert.Equal(accepted, events);
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        Assert.Equal(once + instances.Count, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM vitals_events"));
        // The fuzzer reached both sides: bodies refused with a reason, and mutated bodies still valid enough to keep.
        Assert.True(statuses.GetValueOrDefault(HttpStatusCode.BadRequest) > 1000, string.Join(", ", statuses));
        Assert.True(statuses.GetValueOrDefault(HttpStatusCode.Accepted) > 100, string.Join(", ", statuses));
    }
}
