using System.Globalization;
using Portal.Components;
using Portal.Features.Cache;
using static Portal.Features.Reports.BaselineReportBuilder;

namespace Portal.Features.Reports.Sections;

/// <summary>Redis, from the Cache feature's samples: each instance's hit ratio and lookups.</summary>
internal sealed class RedisSection(RedisSamples redisSamples) : IReportSection
{
    public IEnumerable<ReportRead> Reads(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        yield return new("Redis samples", () => RedisAsync(scope, period, draft, cancellationToken));
    }

    private async Task RedisAsync(ReportScope scope, ReportPeriod period, ReportDraft draft, CancellationToken cancellationToken)
    {
        // Each instance's lookups in the period and the one before, by the Cache feature's rule.
        var current = new List<(string Name, RedisLookups Lookups)>();
        var previous = new List<(string Name, RedisLookups Lookups)>();
        foreach (var name in await redisSamples.NamesAsync(period.Start, period.End, cancellationToken))
        {
            if (scope.Services.Count > 0 && !scope.Services.Contains(name))
            {
                continue;
            }
            var lookups = await redisSamples.LookupsBetweenAsync(name, [period.Previous.Start, period.Start, period.End], cancellationToken);
            if (lookups[1] is { } now)
            {
                current.Add((name, now));
            }
            if (lookups[0] is { } before)
            {
                previous.Add((name, before));
            }
        }
        static double? Ratio(List<(string Name, RedisLookups Lookups)> rows) =>
            rows.Sum(row => row.Lookups.Lookups) is > 0 and var lookups ? (double)rows.Sum(row => row.Lookups.Hits) / lookups : null;
        draft.Figures[Names.Cache] = (Ratio(current), Ratio(previous));
        draft.Details.Add(new DetailSection("Infrastructure", "Redis", ["Instance", "Hit ratio", "Lookups"],
            current.Select(row => new DetailRow(row.Name, [Figures.Format(row.Lookups.HitRatio, "ratio"), row.Lookups.Lookups.ToString("N0", CultureInfo.InvariantCulture)], PortalLinks.Cache)).ToList(),
            "No Redis sample covers this period (the redis-samples job reads INFO every minute)."));
    }
}
