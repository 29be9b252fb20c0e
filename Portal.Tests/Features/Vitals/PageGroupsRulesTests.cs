using Portal.Features.Vitals;

namespace Portal.Tests.Features.Vitals;

/// <summary>The grouping rules themselves (pure functions: no portal); their use at ingestion is in <see cref="PageGroupsTests"/>.</summary>
public sealed class PageGroupsRulesTests
{
    internal static readonly VitalsApp Redmine = new()
    {
        Id = "redmine",
        PageGroups = ["/projects/*/wiki/** => /projects/:project/wiki", "/my/page", "/users/*/settings => /users/:user/settings"],
    };

    [Theory]
    [InlineData("/issues/123", "/issues/:id")]
    [InlineData("/issues/123/edit", "/issues/:id/edit")]
    [InlineData("/attachments/download/42/report.pdf", "/attachments/download/:id/report.pdf")]
    [InlineData("/orders/3f2504e0-4f89-11d3-9a0c-0305e82c3301", "/orders/:hash")]
    [InlineData("/shared/a1b2c3d4e5f60718", "/shared/:hash")]
    [InlineData("/projects/portal/wiki/Installing/History", "/projects/:project/wiki")]
    [InlineData("/projects/portal/wiki", "/projects/portal/wiki")] // ** is at least one segment
    [InlineData("/users/7/settings", "/users/:user/settings")]
    [InlineData("/users/7", "/users/:id")]
    [InlineData("/my/page", "/my/page")]
    [InlineData("/products/:id", "/products/:id")] // a route template comes through
    [InlineData("/", "/")]
    [InlineData("/issues/calendar", "/issues/calendar")] // words stay
    [InlineData("/releases/v2", "/releases/v2")]
    public void PageOf_RulesThenIdsAndHashes(string path, string page) => Assert.Equal(page, PageGroups.PageOf(Redmine, path));

    [Fact]
    public void PageOf_CollapseOff_KeepsThePath() =>
        Assert.Equal("/issues/123", PageGroups.PageOf(Redmine with { CollapseIds = false }, "/issues/123"));

    [Theory]
    [InlineData("issues/*", "a pattern and its template are paths")]
    [InlineData("/a/**/b", "** stands for the rest of a path")]
    [InlineData("/a/* => a", "a pattern and its template are paths")]
    public void Problem_OfABadRule_SaysWhy(string rule, string problem) => Assert.Contains(problem, PageGroups.Problem(rule), StringComparison.Ordinal);

    [Fact]
    public void Problem_OfAnOversizedRule_SaysItsLength() =>
        Assert.Equal("a rule of 301 characters: at most 300", PageGroups.Problem("/" + new string('a', 300)));
}
