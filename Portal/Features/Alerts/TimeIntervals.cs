using System.Globalization;

namespace Portal.Features.Alerts;

/// <summary>
/// One of a named time interval's ranges, with Alertmanager's semantics (<c>time_intervals</c>): every field given
/// must hold — <c>times</c> (start inclusive, end exclusive, minutes of the day), <c>weekdays</c>,
/// <c>days_of_month</c> (negative from the month's end), <c>months</c>, <c>years</c> — in <c>location</c>'s local
/// time (UTC unless given). A field not given holds always.
/// </summary>
public sealed record TimeRangeSpec(
    IReadOnlyList<(int Start, int End)> Times, IReadOnlyList<(DayOfWeek Start, DayOfWeek End)> Weekdays, IReadOnlyList<(int Start, int End)> DaysOfMonth,
    IReadOnlyList<(int Start, int End)> Months, IReadOnlyList<(int Start, int End)> Years, TimeZoneInfo Location)
{
    public bool Contains(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, Location);
        var minute = local.Hour * 60 + local.Minute;
        var daysInMonth = DateTime.DaysInMonth(local.Year, local.Month);
        int Day(int day) => day < 0 ? daysInMonth + day + 1 : day;
        return (Times.Count == 0 || Times.Any(range => minute >= range.Start && minute < range.End))
            && (Weekdays.Count == 0 || Weekdays.Any(range => Within((int)local.DayOfWeek, (int)range.Start, (int)range.End)))
            && (DaysOfMonth.Count == 0 || DaysOfMonth.Any(range => local.Day >= Day(range.Start) && local.Day <= Day(range.End)))
            && (Months.Count == 0 || Months.Any(range => local.Month >= range.Start && local.Month <= range.End))
            && (Years.Count == 0 || Years.Any(range => local.Year >= range.Start && local.Year <= range.End));
    }

    // Weekday ranges may wrap the week's end: saturday:monday.
    private static bool Within(int day, int start, int end) => start <= end ? day >= start && day <= end : day >= start || day <= end;

    public static readonly IReadOnlyDictionary<string, DayOfWeek> WeekdayNames =
        Enum.GetValues<DayOfWeek>().ToDictionary(day => day.ToString().ToLowerInvariant(), day => day);

    public static readonly IReadOnlyDictionary<string, int> MonthNames =
        Enumerable.Range(1, 12).ToDictionary(month => CultureInfo.InvariantCulture.DateTimeFormat.GetMonthName(month).ToLowerInvariant(), month => month);
}

/// <summary>A named time interval: it holds when any of its ranges does.</summary>
public sealed record TimeInterval(string Name, IReadOnlyList<TimeRangeSpec> Ranges)
{
    public bool Contains(DateTimeOffset instant) => Ranges.Any(range => range.Contains(instant));
}
