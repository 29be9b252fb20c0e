using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Portal.Components.Live;
using Portal.Features.Auth;
using Portal.Tests.Features.Jobs;
using Portal.Tests.Infrastructure;
using Portal.Tests.Worker;
using static Microsoft.Playwright.Assertions;

namespace Portal.Tests.Browser;

[StartEarly]
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

    [Fact]
    public async Task JobsPage_TabsWithTheSameFilters_ShareOneRead_OtherFiltersHaveTheirOwn_HiddenAndClosedTabsCostNothing()
    {
        var feeds = fixture.Running.Portal.Services.GetRequiredService<LiveFeeds>();
        const string all = "jobs?job=&outcome=&range=24h";
        var other = $"jobs?job={TestJobs.Slow}&outcome=&range=24h";
        Task Followers(string key, int followers, int active) => Eventually.HoldsAsync(
            () => Task.FromResult(feeds.Describe(key) is var (_, count, looking) && count == followers && looking == active),
            TimeSpan.FromSeconds(15), $"{followers} followers ({active} looking) of {key}, not {feeds.Describe(key)}");

        var first = await chromium.OpenAsync(fixture.Running.Portal, PortalRoles.Viewer, "/jobs");
        var second = await chromium.OpenAsync(fixture.Running.Portal, PortalRoles.Viewer, "/jobs");
        await Followers(all, 2, 2);

        // Two tabs, one read per 2-second interval (each tab polling on its own timer made two).
        var before = feeds.Describe(all).Reads;
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(7));
        var reads = feeds.Describe(all).Reads - before;
        Assert.InRange(reads, 2, (long)(clock.Elapsed.TotalSeconds / 2) + 1);

        // Other filters: a feed of their own.
        var third = await chromium.OpenAsync(fixture.Running.Portal, PortalRoles.Viewer, $"/jobs?job={TestJobs.Slow}&view=history");
        await Followers(other, 1, 1);
        await Followers(all, 2, 2);

        // A hidden tab stops receiving (and, alone, stops the reads); it catches up when shown again.
        await second.EvaluateAsync("""
            () => { Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true }); document.dispatchEvent(new Event('visibilitychange')); }
            """);
        await Followers(all, 2, 1);
        await second.EvaluateAsync("""
            () => { Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true }); document.dispatchEvent(new Event('visibilitychange')); }
            """);
        await Followers(all, 2, 2);

        // Closed tabs leave their feeds at once (the circuit ends with the tab), and a feed nobody follows reads nothing.
        await third.CloseAsync(new() { RunBeforeUnload = true });
        await Followers(other, 0, 0);
        await first.CloseAsync(new() { RunBeforeUnload = true });
        await second.CloseAsync(new() { RunBeforeUnload = true });
        await Followers(all, 0, 0);
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // a poll asleep when the last tab left wakes once and stops
        var idle = feeds.Describe(all).Reads;
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(idle, feeds.Describe(all).Reads);
    }

    [Fact]
    public async Task JobsPage_LiveRefresh_UpdatesTheRowsInPlace()
    {
        var page = await chromium.OpenAsync(fixture.Running.Portal, PortalRoles.Viewer, "/jobs");
        await Expect(page.GetByTestId("catalogue")).ToContainTextAsync("Reports progress");
        await Expect(page.GetByTestId("workers")).ToBeVisibleAsync();
        var rows = page.Locator("[data-testid=catalogue] tbody tr, [data-testid=workers] tbody tr");
        var marked = await rows.EvaluateAllAsync<int>("rows => rows.map(row => row.portalMark = true).length");
        Assert.True(marked > 1, $"{marked} rows");
        async Task<string> Text() => string.Join("\n", await rows.AllInnerTextsAsync());
        var before = await Text();

        // The feed's next reads change ages and waits ("4 seconds ago", "in 5 minutes"): the rows show them as they
        // are. MudTable keyed its rows by record instance, so every read rebuilt every row and its components.
        await Eventually.HoldsAsync(async () => await Text() != before, TimeSpan.FromSeconds(15), "the page refreshed");
        var kept = await rows.EvaluateAllAsync<int>("rows => rows.filter(row => row.portalMark === true).length");
        Assert.Equal(marked, kept);
        Assert.Equal(marked, await rows.CountAsync());
    }

    [Fact]
    public async Task JobsPage_Views_AreLinksThatKeepTheFilters()
    {
        var page = await chromium.OpenAsync(fixture.Running.Portal, PortalRoles.Viewer, $"/jobs?job={TestJobs.Slow}");
        await Expect(page.GetByTestId("view-catalogue")).ToHaveAttributeAsync("aria-current", "page");

        await page.GetByTestId("view-history").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/jobs\\?job={TestJobs.Slow}&view=history$"));
        await Expect(page.GetByTestId("view-history")).ToHaveAttributeAsync("aria-current", "page");
        await Expect(page.GetByTestId("view-catalogue")).Not.ToHaveAttributeAsync("aria-current", "page");
        await Expect(page.GetByTestId("history").Or(page.GetByTestId("no-runs"))).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByTestId("catalogue").CountAsync());

        // The default view's link leaves the parameter out.
        Assert.EndsWith($"/jobs?job={TestJobs.Slow}", await page.GetByTestId("view-catalogue").GetAttributeAsync("href"));
    }
}
