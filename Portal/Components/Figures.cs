using System.Globalization;

namespace Portal.Components;

/// <summary>
/// A figure in its unit, the one way the pages, the report, its e-mail and the API's texts word it: milliseconds as
/// <see cref="Durations.Milliseconds"/> ("45.68 ms", "1.24 s"), ratios as percentages ("99.95 %", "0.52 %"), anything
/// else as a number with its unit ("0.052", "12.5 MiB"); "—" for none.
/// </summary>
public static class Figures
{
    public static string Format(double? value, string unit) => value switch
    {
        null => "—",
        { } ms when unit == "ms" => Durations.Milliseconds(ms),
        { } ratio when unit == "ratio" => Percent(ratio),
        { } other => other.ToString("0.###", CultureInfo.InvariantCulture) + (unit.Length > 0 ? $" {unit}" : ""),
    };

    public static string Percent(double ratio) => string.Create(CultureInfo.InvariantCulture, $"{ratio * 100:0.##} %");
}
