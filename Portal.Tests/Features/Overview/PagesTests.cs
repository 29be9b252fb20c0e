using System.Net;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Overview;

public sealed class PagesTests(RunningPortalFixture fixture) : IClassFixture<RunningPortalFixture>
{
    [Theory]
    [InlineData("/scorecards", "Every service's SLA objectives")]
    [InlineData("/alerts", "Firing and pending")]
    [InlineData("/reports", "Subscriptions")]
    [InlineData("/jobs", "Hangfire dashboard")]
    public async Task Area_Get_ShowsItsPage(string path, string expected)
    {
        using var http = await fixture.Running.Portal.SignedInClientAsync(PortalRoles.Admin);

        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(expected, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownPage_SignedIn_Returns404WithPortalPage()
    {
        using var http = await fixture.Running.Portal.SignedInClientAsync(PortalRoles.Viewer);

        using var response = await http.GetAsync(new Uri("/no-such-page", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("This page does not exist", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HangfireDashboard_Admin_Returns200()
    {
        using var http = await fixture.Running.Portal.SignedInClientAsync(PortalRoles.Admin);

        using var response = await http.GetAsync(new Uri("/hangfire", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Portal · Hangfire", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }
}
