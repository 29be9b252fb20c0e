using Portal.Features.Queries;

namespace Portal.UnitTests.Features.Queries;

/// <summary>Queries:Risks: the shares at which a maintenance risk is a warning and critical, checked at start.</summary>
public sealed class RiskThresholdOptionsTests
{
    [Fact]
    public void Defaults_AreValid_AndEachKindHasItsPair()
    {
        var options = new RiskThresholdOptions();

        Assert.Null(options.Problem());
        Assert.Equal((0.5, 0.75), options.Thresholds(RiskKinds.Xid));
        Assert.Equal((0.5, 0.75), options.Thresholds(RiskKinds.Multixact));
        Assert.Equal((0.75, 0.9), options.Thresholds(RiskKinds.Sequence));
        Assert.Equal((0.8, 0.95), options.Thresholds(RiskKinds.Connections));
        Assert.Equal((0.4, 0.7), options.Thresholds(RiskKinds.Bloat));
        Assert.Equal((0.2, 0.5), options.Thresholds(RiskKinds.Vacuum));
        Assert.Equal((0.5, 0.8), options.Thresholds(RiskKinds.Replication));
        Assert.Equal((0.5, 0.8), options.Thresholds(RiskKinds.Slot));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.Thresholds("disk"));
    }

    [Theory]
    [InlineData(0.9, 0.9, "sequence")]   // the warning must come before the critical
    [InlineData(0.95, 0.9, "sequence")]
    [InlineData(0, 0.9, "sequence")]     // a share of nothing would warn of every sequence
    [InlineData(0.75, 1.5, "sequence")]  // beyond the limit is never reached
    public void Problem_NamesTheKindWhoseSharesCannotWork(double warning, double critical, string kind)
    {
        var options = new RiskThresholdOptions { SequenceWarning = warning, SequenceCritical = critical };

        Assert.Equal($"Queries:Risks: the {kind} shares must be in (0, 1], the warning below the critical", options.Problem());
    }

    [Fact]
    public void Problem_NamesABloatSizeOrScanIntervalThatCannotWork()
    {
        Assert.Equal("Queries:Risks:BloatMinimumMegabytes must be 0 or more", new RiskThresholdOptions { BloatMinimumMegabytes = -1 }.Problem());
        Assert.Equal("Queries:Risks:BloatScanMinutes must be more than 0", new RiskThresholdOptions { BloatScanMinutes = 0 }.Problem());
    }
}
