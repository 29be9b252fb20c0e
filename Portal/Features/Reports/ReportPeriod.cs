namespace Portal.Features.Reports;

public static class ReportSchedules
{
    public const string Weekly = "weekly";
    public const string Daily = "daily";
    public const string Monthly = "monthly";

    public static readonly IReadOnlyList<string> All = [Weekly, Daily, Monthly];
}

/// <summary>
/// The span a report covers: a whole week (Monday to Monday), day or month in a time zone, and the span before it of
/// the same kind, which every change is measured against. Its ends are UTC instants (as PostgreSQL takes them); the
/// names and days are the time zone's.
/// </summary>
public sealed record ReportPeriod(string Kind, DateTimeOffset Start, DateTimeOffset End, string TimeZone)
{
    /// <summary>The last whole period before <paramref name="now"/> in the time zone (Monday's report covers last week).</summary>
    public static ReportPeriod Last(string kind, DateTimeOffset now, string timeZone)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        var local = TimeZoneInfo.ConvertTime(now, zone).Date;
        var end = kind switch
        {
            ReportSchedules.Daily => local,
            ReportSchedules.Monthly => new DateTime(local.Year, local.Month, 1),
            _ => local.AddDays(-(((int)local.DayOfWeek + 6) % 7)),
        };
        var start = kind switch
        {
            ReportSchedules.Daily => end.AddDays(-1),
            ReportSchedules.Monthly => end.AddMonths(-1),
            _ => end.AddDays(-7),
        };
        return new ReportPeriod(kind, At(start, zone), At(end, zone), timeZone);
    }

    /// <summary>
    /// The period in progress, from its start to <paramref name="now"/>: what a preview offers for an app onboarded this
    /// week, whose last whole week has nothing in it.
    /// </summary>
    public static ReportPeriod SoFar(string kind, DateTimeOffset now, string timeZone) =>
        new(kind, Last(kind, now, timeZone).End, now, timeZone) { InProgress = true };

    /// <summary>A period still in progress (<see cref="SoFar"/>): compared with the same span of the period before.</summary>
    public bool InProgress { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public ReportPeriod Previous
    {
        get
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
            var start = TimeZoneInfo.ConvertTime(Start, zone).DateTime;
            var before = Kind switch
            {
                ReportSchedules.Daily => start.AddDays(-1),
                ReportSchedules.Monthly => start.AddMonths(-1),
                _ => start.AddDays(-7),
            };
            return InProgress
                ? this with { Start = At(before, zone), End = At(before, zone) + (End - Start), InProgress = false }
                : this with { Start = At(before, zone), End = Start };
        }
    }

    /// <summary>The local date the period starts on: "week of 2026-11-16".</summary>
    public DateOnly FirstDay => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(Start, TimeZoneInfo.FindSystemTimeZoneById(TimeZone)).DateTime);

    public string Name => Kind switch
    {
        ReportSchedules.Daily => $"day of {FirstDay:yyyy-MM-dd}",
        ReportSchedules.Monthly => $"month of {FirstDay:MMMM yyyy}",
        _ => $"week of {FirstDay:yyyy-MM-dd}",
    } + (InProgress ? $" so far (to {TimeZoneInfo.ConvertTime(End, TimeZoneInfo.FindSystemTimeZoneById(TimeZone)):yyyy-MM-dd HH:mm})" : "");

    public string Adjective => Kind switch { ReportSchedules.Daily => "Daily", ReportSchedules.Monthly => "Monthly", _ => "Weekly" };

    /// <summary>"the previous week", as changes are described.</summary>
    public string PreviousName => (InProgress ? "the same span of " : "") +
        Kind switch { ReportSchedules.Daily => "the previous day", ReportSchedules.Monthly => "the previous month", _ => "the previous week" };

    public TimeSpan Length => End - Start;

    /// <summary>The local midnights the period's days start at (23 or 25 hours apart across a change of summer time).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<DateTimeOffset> Days
    {
        get
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
            var first = TimeZoneInfo.ConvertTime(Start, zone).DateTime;
            // Every local midnight from the start before the end (a period in progress ends inside its last day).
            var days = new List<DateTimeOffset>();
            for (var day = At(first, zone); day < End; day = At(first.AddDays(days.Count), zone))
            {
                days.Add(day);
            }
            return days;
        }
    }

    private static DateTimeOffset At(DateTime local, TimeZoneInfo zone) => new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
}
