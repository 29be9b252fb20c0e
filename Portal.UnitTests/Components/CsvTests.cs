using Portal.Components;

namespace Portal.UnitTests.Components;

/// <summary>CSV fields a spreadsheet would run as formulas are neutralised (OWASP's CSV injection list); numbers stay numbers.</summary>
public sealed class CsvTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"")]
    [InlineData("+cmd", "'+cmd")]
    [InlineData("-2+3+cmd", "'-2+3+cmd")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\t=1+1", "'\t=1+1")]
    [InlineData("\r=1+1", "\"'\r=1+1\"")]
    [InlineData("-12.5", "-12.5")]
    [InlineData("checkout, EU", "\"checkout, EU\"")]
    [InlineData("plain", "plain")]
    public void Field_FormulaOrSpecial_WrittenSafely(string value, string expected) => Assert.Equal(expected, Csv.Field(value));

    // Binary floating-point noise is not a figure: a 99.9 % objective read from "99.9%" is 0.9990000000000001.
    [Theory]
    [InlineData(99.9, 100, "0.999")]
    [InlineData(0.3, 3, "0.1")]
    [InlineData(1, 3, "0.333333333333333")]
    [InlineData(2_740, 1, "2740")]
    public void Number_AndTheApisDoubles_WithoutFloatingPointNoise(double dividend, double divisor, string expected)
    {
        Assert.Equal(expected, Csv.Number(dividend / divisor));
        var options = new System.Text.Json.JsonSerializerOptions { Converters = { new CleanNumbers.JsonConverter() } };
        Assert.Equal($"{{\"value\":{expected}}}", System.Text.Json.JsonSerializer.Serialize(new { value = dividend / divisor }, options));
        Assert.Equal("{\"value\":null}", System.Text.Json.JsonSerializer.Serialize(new { value = (double?)null }, options));
    }
}
