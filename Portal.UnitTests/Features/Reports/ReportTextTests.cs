using Portal.Features.Reports;

namespace Portal.UnitTests.Features.Reports;

/// <summary>The e-mail's text part, in words a reader expects: no "TOP 0", no "NoData".</summary>
public sealed class ReportTextTests
{
    private static BaselineReport Report(IReadOnlyList<Opportunity> opportunities, params ObjectiveLine[] objectives) => new(
        "portal", ReportScope.Everything, ReportPeriod.Last(ReportSchedules.Weekly, DateTimeOffset.Parse("2026-12-01T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture), "UTC"),
        DateTimeOffset.UtcNow, ReportHealth.NoData, "no source had data for the period: nothing can be judged", null, [],
        [], objectives, [], opportunities, [], [], [], [], new DataCoverage(0, 0, 7, 0, 0, []));

    private static ObjectiveLine Objective(string status) => new("o", "portal", "Checkout is fast", "high", "p95", "ms", null, 200, true, status, null);

    [Fact]
    public void Text_NothingMeasured_SaysNoDataAndNoOpportunityFound()
    {
        var text = ReportMail.Text(Report([], Objective("NoData"), Objective("AtRisk")), new ReportMail.Links(null, null, null));

        Assert.Contains("Overall health: No data", text, StringComparison.Ordinal);
        Assert.Contains("NO OPTIMISATION OPPORTUNITY FOUND", text, StringComparison.Ordinal);
        Assert.Contains(": —, No data", text, StringComparison.Ordinal);
        Assert.Contains(": —, At risk", text, StringComparison.Ordinal);
        Assert.DoesNotContain("TOP 0", text, StringComparison.Ordinal);
        Assert.DoesNotContain("NoData", text, StringComparison.Ordinal);
        Assert.DoesNotContain("AtRisk", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_ThreeOpportunities_HeadedByTheirCount()
    {
        var opportunity = new Opportunity("statement", "SELECT … FROM orders", 1_000, "1.0 s a week", "/queries", "Add an index");

        var text = ReportMail.Text(Report([opportunity, opportunity, opportunity]), new ReportMail.Links(null, null, null));

        Assert.Contains("THE 3 OPTIMISATION OPPORTUNITIES, BY ESTIMATED IMPACT", text, StringComparison.Ordinal);
    }
}
