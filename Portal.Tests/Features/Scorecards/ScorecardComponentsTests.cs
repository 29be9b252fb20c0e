using Bunit;
using Portal.Features.Scorecards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Scorecards;

public sealed class ScorecardComponentsTests : PortalComponentTest
{
    [Theory]
    [InlineData(ObjectiveStatus.Met, "met", "Met", "success")]
    [InlineData(ObjectiveStatus.AtRisk, "at-risk", "At risk", "warning")]
    [InlineData(ObjectiveStatus.Breached, "breached", "Breached", "error")]
    [InlineData(ObjectiveStatus.NoData, "no-data", "No data", "default")]
    public void StatusChip_EachStatus_HasItsNameAndColour(ObjectiveStatus status, string name, string text, string colour)
    {
        var chip = Render<ObjectiveStatusChip>(parameters => parameters.Add(component => component.Status, status));

        var element = chip.Find($"[data-status={name}]");
        Assert.Equal(text, element.TextContent.Trim());
        Assert.Contains($"mud-chip-color-{colour}", element.ClassList);
    }

    [Theory]
    [InlineData(0.72, "72 % left")]
    [InlineData(-0.5, "overspent 50 %")]
    public void BudgetBar_Remaining_SaysWhatIsLeft(double remaining, string text)
    {
        var bar = Render<BudgetBar>(parameters => parameters.Add(component => component.Remaining, remaining).Add(component => component.Consumed, 1 - remaining));

        Assert.Equal(text, bar.Find(".budget .mud-typography").TextContent.Replace('\u00a0', ' ').Trim());
    }
}
