using Portal.Components;
using Portal.Features.Reports;
using Portal.Features.Vitals;

namespace Portal.UnitTests.Components;

/// <summary>One duration format: the Queries page, the Jobs page, the report and Web Vitals word a time alike.</summary>
public sealed class DurationsTests
{
    [Theory]
    [InlineData(0.123, "0.12 ms")]
    [InlineData(45.678, "45.68 ms")]
    [InlineData(850, "850 ms")]
    [InlineData(1_240, "1.24 s")]
    [InlineData(59_990, "59.99 s")]
    [InlineData(810_000, "13.5 min")]
    [InlineData(8_640_000, "2.4 h")]
    public void Milliseconds_BySize(double ms, string worded) => Assert.Equal(worded, Durations.Milliseconds(ms));

    [Fact]
    public void Milliseconds_None_IsADash() => Assert.Equal("—", Durations.Milliseconds(null));

    [Fact]
    public void ReportAndVitals_WordMillisecondsAsThePagesDo()
    {
        // 45.678 ms read "46 ms" on Queries and "45.68 ms" in the report.
        Assert.Equal(Durations.Milliseconds(45.678), Figures.Format(45.678, "ms"));
        Assert.Equal(Durations.Milliseconds(2_345.5), VitalsMetric.Find("LCP")!.Format(2_345.5));
    }
}
