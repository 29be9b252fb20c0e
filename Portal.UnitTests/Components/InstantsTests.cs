using Portal.Components;

namespace Portal.UnitTests.Components;

/// <summary>One reading of instants for every API and address (the Jobs, Audit and Prometheus APIs, the time range).</summary>
public sealed class InstantsTests
{
    [Theory]
    [InlineData("2026-11-23T10:00:00Z", false, "2026-11-23T10:00:00.0000000+00:00")]
    [InlineData("2026-11-23T11:00:00+01:00", false, "2026-11-23T10:00:00.0000000+00:00")] // kept as the same instant, in UTC
    [InlineData("2026-11-23T10:00:00", false, "2026-11-23T10:00:00.0000000+00:00")] // no offset: UTC
    [InlineData("1795428000", true, "2026-11-23T10:00:00.0000000+00:00")] // Unix seconds where the API follows Prometheus
    public void TryParse_Instants_ReadInUtc(string value, bool unixSeconds, string expected)
    {
        Assert.True(Instants.TryParse(value, out var instant, unixSeconds));
        Assert.Equal(expected, instant!.Value.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(TimeSpan.Zero, instant.Value.Offset);
    }

    [Theory]
    [InlineData("yesterday", false)]
    [InlineData("1795428000", false)] // seconds only where asked for
    public void TryParse_NotAnInstant_IsRefused(string value, bool unixSeconds) => Assert.False(Instants.TryParse(value, out _, unixSeconds));

    [Fact]
    public void TryParse_Absent_IsNoInstantAndNoError()
    {
        Assert.True(Instants.TryParse(null, out var instant));
        Assert.Null(instant);
    }
}
