using Portal.Features.Auth;
using Portal.Tests.Features.Jobs;
using Portal.Tests.Infrastructure;
using Portal.Tests.Worker;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

public sealed class JobsBrowserTests(JobRunsFixture fixture, Chromium chromium) : IClassFixture<JobRunsFixture>, IClassFixture<Chromium>
{
    [Fact]
    public async Task JobsPage_AdminRunsAJob_WatchesItsProgressReach100Percent()
    {
        var page = await chromium.OpenAsync(fixture.Running.Portal, PortalRoles.Admin, "/jobs");
        await Expect(page.GetByTestId("catalogue")).ToContainTextAsync("Reports progress");

        await page.GetByTestId($"run-{TestJobs.Slow}").ClickAsync();
        await Expect(page.GetByTestId("jobs-message")).ToContainTextAsync($"Queued {TestJobs.Slow}");

        // The page refreshes over the circuit while the run reports 20 %, 40 % … and then its summary.
        var progress = page.GetByTestId($"progress-{TestJobs.Slow}");
        await Expect(progress).ToBeVisibleAsync(new() { Timeout = 15_000 });
        var seen = new HashSet<int>();
        while (await progress.CountAsync() > 0)
        {
            try
            {
                if (await progress.GetAttributeAsync("data-percent", new() { Timeout = 1_000 }) is { } percent)
                {
                    seen.Add(int.Parse(percent, System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            catch (TimeoutException)
            {
                // The run finished between the count and the read.
            }
            await Chromium.ScreenshotAsync(page, "jobs-progress");
            await Task.Delay(300);
        }
        await Expect(page.GetByTestId($"summary-{TestJobs.Slow}")).ToHaveTextAsync("processed 5 batches");
        Assert.Contains(seen, percent => percent is > 0 and < 100);

        var row = page.GetByTestId("catalogue").Locator("tr", new() { HasText = "Reports progress" });
        await Expect(row.Locator("[data-outcome]")).ToHaveAttributeAsync("data-outcome", "succeeded");
        await Chromium.ScreenshotAsync(page, "jobs");
    }
}
