using Portal.Features.Vitals;

namespace Portal.UnitTests.Features.Vitals;

/// <summary>The sentence that names a breakdown's dominant part, and the statement a Server-Timing description names.</summary>
public sealed class VitalsDiagnosisTests
{
    private static Breakdown Lcp(double ttfb, double delay, double duration, double render, string? behind = "/img/hero.jpg") =>
        new("LCP", 100, 90, 3100, 9, 3050, VitalsDiagnosis.LcpParts.Zip([ttfb, delay, duration, render], (part, ms) => (part, ms)).ToList(), behind);

    [Fact]
    public void Sentence_NamesTheDominantPart_ItsShareOfTheSum_AndWhatIsBehindIt()
    {
        // 1,891 of 3,050 ms: 62 %.
        Assert.Equal("LCP of /checkout: 62 % is resource load duration of /img/hero.jpg", VitalsDiagnosis.Sentence("/checkout", Lcp(600, 159, 1891, 400)));
        Assert.Equal("a smaller LCP resource: compress, resize, a modern format", VitalsDiagnosis.Advice(Lcp(600, 159, 1891, 400)));
    }

    [Fact]
    public void Sentence_ForTheServersPart_NamesNoElement_AndForInpSaysIn()
    {
        Assert.Equal("LCP of /: 80 % is time to first byte", VitalsDiagnosis.Sentence("/", Lcp(800, 0, 100, 100)));
        var inp = new Breakdown("INP", 10, 10, 330, 1, 330, VitalsDiagnosis.InpParts.Zip([10.0, 300, 20], (part, ms) => (part, ms)).ToList(), "slowHandler · https://shop.test/app.js");
        Assert.Equal("INP of /cart: 90.91 % is processing duration in slowHandler · https://shop.test/app.js", VitalsDiagnosis.Sentence("/cart", inp));
    }

    [Fact]
    public void Sentence_WithoutParts_IsNull() => Assert.Null(VitalsDiagnosis.Sentence("/", Lcp(0, 0, 0, 0)));

    [Theory]
    [InlineData("queryid=-4711", null, -4711L)]
    [InlineData("orders; queryid=8812 target=main", "main", 8812L)]
    public void StatementOf_ReadsTheQueryIdAndTarget(string description, string? target, long queryId) =>
        Assert.Equal((target, queryId), VitalsDiagnosis.StatementOf(description));

    [Theory]
    [InlineData(null)]
    [InlineData("hit")]
    [InlineData("queryid=abc")]
    [InlineData("queryid=99999999999999999999")]
    public void StatementOf_WithoutAQueryId_IsNull(string? description) => Assert.Null(VitalsDiagnosis.StatementOf(description));
}
