using System.Globalization;
using Cronos;

namespace Portal.Features.Jobs;

/// <summary>Cron expressions (5 fields, or 6 with seconds as Hangfire accepts them) read with Cronos: next fire and a description in words.</summary>
public static class JobSchedule
{
    public static CronExpression Parse(string cron) =>
        CronExpression.Parse(cron, cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);

    public static DateTimeOffset? NextAfter(string cron, TimeZoneInfo zone, DateTimeOffset from) => Parse(cron).GetNextOccurrence(from, zone);

    /// <summary>The time between the next two fires of <paramref name="cron"/> after <paramref name="now"/> (UTC); null for a schedule that ends.</summary>
    public static TimeSpan? Interval(string cron, DateTimeOffset now) =>
        NextAfter(cron, TimeZoneInfo.Utc, now) is { } next && NextAfter(cron, TimeZoneInfo.Utc, next) is { } after ? after - next : null;

    /// <summary>"every 15 seconds", "every 5 minutes", "every day at 02:00 UTC", "every Monday at 06:00 UTC"; else "on a custom schedule".</summary>
    public static string Describe(string cron, TimeZoneInfo zone)
    {
        // Read the rhythm off the next occurrences from a fixed Monday, so the words never depend on today.
        var expression = Parse(cron);
        var occurrences = expression.GetOccurrences(new DateTime(2030, 1, 7, 0, 0, 0, DateTimeKind.Utc), new DateTime(2030, 3, 1, 0, 0, 0, DateTimeKind.Utc), zone)
            .Take(9).ToList();
        if (occurrences.Count < 3)
        {
            return "on a custom schedule";
        }
        var gaps = occurrences.Zip(occurrences.Skip(1), (a, b) => b - a).Distinct().ToList();
        if (gaps.Count != 1)
        {
            return "on a custom schedule";
        }

        var gap = gaps[0];
        var first = TimeZoneInfo.ConvertTime(occurrences[0], zone);
        var at = first.ToString("HH:mm", CultureInfo.InvariantCulture);
        var zoneName = zone == TimeZoneInfo.Utc ? "UTC" : zone.Id;
        return gap switch
        {
            _ when gap == TimeSpan.FromSeconds(1) => "every second",
            _ when gap < TimeSpan.FromMinutes(1) => $"every {gap.TotalSeconds:0} seconds",
            _ when gap == TimeSpan.FromMinutes(1) => "every minute",
            _ when gap < TimeSpan.FromHours(1) => $"every {gap.TotalMinutes:0} minutes",
            _ when gap == TimeSpan.FromHours(1) => $"every hour at :{first:mm}",
            _ when gap < TimeSpan.FromDays(1) => $"every {gap.TotalHours:0} hours",
            _ when gap == TimeSpan.FromDays(1) => $"every day at {at} {zoneName}",
            _ when gap == TimeSpan.FromDays(7) => $"every {first.DayOfWeek} at {at} {zoneName}",
            _ => "on a custom schedule",
        };
    }
}
