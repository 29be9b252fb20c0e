using System.Globalization;

namespace Portal.Components;

/// <summary>CSV as the portal writes it (the scorecards' and the report's): RFC 4180 quoting, formula-safe, invariant numbers.</summary>
public static class Csv
{
    public static string Line(params IEnumerable<string> fields) => string.Join(',', fields.Select(Field));

    public static string Number(double? value) => value is { } number ? CleanNumbers.Of(number).ToString("R", CultureInfo.InvariantCulture) : "";

    // A leading = + - @ (or a tab or carriage return, which spreadsheets skip before reading one: OWASP's CSV injection
    // list) is prefixed so that a spreadsheet never runs a title as a formula.
    public static string Field(string value)
    {
        var safe = value.Length > 0 && "=+-@\t\r".Contains(value[0], StringComparison.Ordinal) && !double.TryParse(value, CultureInfo.InvariantCulture, out _) ? "'" + value : value;
        return safe.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{safe.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : safe;
    }
}
