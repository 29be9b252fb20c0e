using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Features.Alerts;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Lab;

/// <summary>
/// Lighthouse runs as an SLI kind and an alert source, worked by hand: shop's mobile runs in two 5-minute intervals
/// (85 and 95, then 88), a desktop run and another service's run that do not count.
/// </summary>
public sealed class LighthouseSourcesTests(LighthouseSourcesTests.Seeded fixture) : IClassFixture<LighthouseSourcesTests.Seeded>
{
    private static readonly DateTimeOffset Now = SliEvaluator.Floor(DateTimeOffset.UtcNow);
    private static readonly DateTimeOffset First = Now.AddHours(-3).AddMinutes(2); // in the interval ending at −2 h 55 min
    private static readonly DateTimeOffset Second = Now.AddHours(-2);              // on a boundary: the interval ending there

    /// <summary>The runs above and a catalogue of one Lighthouse objective, read by both tests.</summary>
    public sealed class Seeded : PortalOnFreshDatabase
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            var file = Path.Combine(Directory.CreateTempSubdirectory("portal-slas-").FullName, "slas.yaml");
            File.WriteAllText(file, """
                services:
                  - name: shop
                    team: web
                    objectives:
                      - id: shop-lighthouse
                        title: Critical pages score well
                        priority: P2
                        window: 7d
                        sli:
                          kind: lighthouse
                          profile: mobile
                          score_above: 90
                          objective: 75%
                """);
            settings["Scorecards:CatalogueFile"] = file;
        }

        protected override async Task SeedAsync(NpgsqlConnection connection)
        {
            foreach (var (service, page, profile, at, score) in new[]
            {
                ("shop", "/checkout", "mobile", First, 0.85), ("shop", "/", "mobile", First.AddMinutes(1), 0.95),
                ("shop", "/checkout", "mobile", Second, 0.88), ("shop", "/checkout", "desktop", Second, 0.99), ("blog", "/x", "mobile", Second, 0.10),
            })
            {
                await connection.ExecuteAsync("""
                    INSERT INTO lab_lighthouse_runs (service, page, profile, url, source, fetched_at, lighthouse, performance, accessibility, best_practices, seo)
                    VALUES (@service, @page, @profile, 'https://x.test' || @page, 'api', @at, '12.2.3', @score, 1, 1, 1)
                    """, new { service, page, profile, at, score });
            }
        }
    }

    private PortalApp App => fixture.App;

    [Fact]
    public async Task Sli_RunsPerInterval_GoodAtTheScore_FigureTheirMean()
    {
        var objective = App.Services.GetRequiredService<SlaCatalogueSource>().Current!.Objectives.Single();

        var samples = await App.Services.GetRequiredService<SliEvaluator>().EvaluateAsync(objective.Sli, Now.AddHours(-6), Now);

        Assert.Equal([(First.AddMinutes(3), 1d, 2d, 90d), (Second, 0d, 1d, 88d)], samples.Select(sample => (sample.At, sample.Good, sample.Total, sample.Value!.Value)));
        var headline = SliFigures.Headline(objective.Sli);
        Assert.Equal(("performance score", 90d), (headline.Name, headline.Target!.Value));
        Assert.Equal((90 * 2 + 88) / 3.0, SliFigures.Value(objective.Sli, headline, samples)!.Value, 9);
        Assert.Equal(1 / 3.0, SliFigures.Compliance(samples)!.Value, 9);
    }

    [Fact]
    public async Task AlertSource_EachPagesLastRun_BelowTheScoreBreaches()
    {
        var rule = new AlertRule
        {
            Name = "LighthouseLow", Source = AlertSources.Lighthouse, Severity = AlertSeverities.Warning, Threshold = 90, Below = true,
            Service = "shop", Category = "performance", Over = TimeSpan.FromHours(26),
        };

        var observations = await App.Services.GetRequiredService<AlertEvaluator>().ObserveAsync(rule, Now);

        var seen = observations.Select(observation => ($"{observation.Labels["page"]} {observation.Labels["profile"]}", observation.Value!.Value))
            .OrderBy(pair => pair.Item1, StringComparer.Ordinal).ToList();
        Assert.Equal([("/ mobile", 95d), ("/checkout desktop", 99d), ("/checkout mobile", 88d)], seen); // /checkout's last mobile run, not its first
        Assert.Equal(["/checkout mobile"], seen.Where(pair => rule.Breaches(pair.Item2)).Select(pair => pair.Item1));
    }
}
