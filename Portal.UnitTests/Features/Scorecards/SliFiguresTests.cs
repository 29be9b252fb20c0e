using Portal.Features.Scorecards;

namespace Portal.UnitTests.Features.Scorecards;

public sealed class SliFiguresTests
{
    private static readonly double[] Le = [0.5, 1, double.PositiveInfinity];
    private static readonly double[] Counts = [50, 90, 100];

    [Theory]
    [InlineData(0.25, 25)]  // half of the first bucket, which starts at 0
    [InlineData(0.5, 50)]   // on a bound: exact
    [InlineData(0.75, 70)]  // a quarter of the way from 50 to 90
    [InlineData(1, 90)]
    [InlineData(2, 90)]     // past the last finite bound: only what is known to be under it
    public void CountBelow_AThreshold_IsInterpolatedInsideItsBucket(double threshold, double expected) =>
        Assert.Equal(expected, SliEvaluator.CountBelow(threshold, Le, Counts), 9);

    [Theory]
    [InlineData(0.5, 0.5)]      // rank 50 is the first bucket's top
    [InlineData(0.7, 0.75)]     // rank 70: 20 of the second bucket's 40, halfway from 0.5 to 1
    [InlineData(0.95, 1)]       // in +Inf: the highest finite bound
    public void HistogramQuantile_WorkedByHand(double q, double expected) =>
        Assert.Equal(expected, SliFigures.HistogramQuantile(q, Le, Counts)!.Value, 9);
}
