using ScottPlot;

namespace Portal.Features.Reports;

/// <summary>The e-mail's charts as PNG images (ScottPlot renders them without a browser): named, to be CID-embedded.</summary>
public static class ReportCharts
{
    public const string Daily = "daily";
    public const string Opportunities = "opportunities";

    private const int Width = 640;

    public static IReadOnlyDictionary<string, byte[]> Render(BaselineReport report)
    {
        var charts = new Dictionary<string, byte[]>();
        if (report.Daily.Any(day => day.ApiP95Ms is not null || day.PageLoadP95Ms is not null))
        {
            charts[Daily] = DailyChart(report);
        }
        if (report.Opportunities.Count > 0)
        {
            charts[Opportunities] = OpportunityChart(report);
        }
        return charts;
    }

    // Each day's API p95 and page-load p95, in milliseconds, against the days of the period.
    private static byte[] DailyChart(BaselineReport report)
    {
        var plot = NewPlot();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(report.Period.TimeZone);
        void Line(string name, Func<DailyPoint, double?> value, Color color)
        {
            var points = report.Daily.Where(day => value(day) is not null).ToList();
            if (points.Count == 0)
            {
                return;
            }
            var line = plot.Add.Scatter(points.Select(day => TimeZoneInfo.ConvertTime(day.Day, zone).DateTime.ToOADate()).ToArray(), points.Select(day => value(day)!.Value).ToArray());
            line.LegendText = name;
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 6;
        }
        Line("API response p95", day => day.ApiP95Ms, Color.FromHex("#1E88E5"));
        Line("Page load p95 (LCP)", day => day.PageLoadP95Ms, Color.FromHex("#8E24AA"));
        var days = report.Daily.Select(day => TimeZoneInfo.ConvertTime(day.Day, zone).DateTime).ToList();
        plot.Axes.Bottom.SetTicks(days.Select(day => day.ToOADate()).ToArray(), days.Select(day => day.ToString("ddd d", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.Bottom.Label.Text = $"Day ({report.Period.TimeZone})";
        plot.Axes.Left.Label.Text = "p95 (ms)";
        plot.Title("Daily p95");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetImageBytes(Width, 280, ImageFormat.Png);
    }

    // The opportunities' estimated impact, largest at the top, in hours (or minutes) per period.
    private static byte[] OpportunityChart(BaselineReport report)
    {
        var plot = NewPlot();
        var ranked = report.Opportunities;
        var inHours = ranked[0].ImpactMs >= 3_600_000;
        var unit = inHours ? "h" : "min";
        var values = ranked.Select(opportunity => opportunity.ImpactMs / (inHours ? 3_600_000 : 60_000)).ToArray();
        var bars = ranked.Select((opportunity, index) => new Bar
        {
            Position = ranked.Count - index, Value = values[index], FillColor = Color.FromHex("#1E88E5"), Orientation = Orientation.Horizontal,
        }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Left.SetTicks(ranked.Select((_, index) => (double)(ranked.Count - index)).ToArray(), ranked.Select((_, index) => $"#{index + 1}").ToArray());
        plot.Axes.Bottom.Label.Text = $"Estimated impact ({unit} per {report.Period.Kind switch { ReportSchedules.Daily => "day", ReportSchedules.Monthly => "month", _ => "week" }})";
        plot.Axes.Margins(left: 0);
        plot.Title("Top opportunities");
        return plot.GetImageBytes(Width, 120 + 26 * ranked.Count, ImageFormat.Png);
    }

    // Debian's DejaVu Sans, like the e-mail's sans-serif text.
    private static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        return plot;
    }
}
