using Portal.Components;

namespace Portal.Tests.Components;

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
}
