using Bunit;
using Portal.Features.Jobs;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Jobs;

public sealed class WorkersTableTests : PortalComponentTest
{
    private static WorkerHeartbeat Worker(string node, bool stopped, double ageSeconds = 5) => new()
    {
        Node = node,
        StartedAt = DateTimeOffset.UtcNow.AddHours(-1),
        BeatAt = DateTimeOffset.UtcNow.AddSeconds(-ageSeconds),
        StoppedAt = stopped ? DateTimeOffset.UtcNow.AddMinutes(-10) : null,
        Version = "1.0.0",
        AgeSeconds = ageSeconds,
    };

    private IRenderedComponent<WorkersTable> RenderTable(params WorkerHeartbeat[] workers) =>
        Render<WorkersTable>(parameters => parameters.Add(table => table.Workers, workers).Add(table => table.StaleAfterSeconds, 60));

    private static string[] Nodes(IRenderedComponent<WorkersTable> table) =>
        [.. table.FindAll("[data-testid=workers] tbody tr code").Select(code => code.TextContent)];

    [Fact]
    public void StoppedWorkers_BesideRunningOnes_FoldUnderAButtonThatShowsThem()
    {
        var table = RenderTable(Worker("web-7", stopped: false), Worker("old-1", stopped: true), Worker("stale-2", stopped: false, ageSeconds: 600), Worker("old-2", stopped: true));

        Assert.Equal(["web-7", "stale-2"], Nodes(table)); // running and stale ones stay in sight
        var toggle = table.Find("[data-testid=toggle-stopped]");
        Assert.Equal("Show 2 stopped in the last day", toggle.TextContent.Trim());

        toggle.Click();
        Assert.Equal(["web-7", "old-1", "stale-2", "old-2"], Nodes(table));
        Assert.Equal("Hide the stopped workers", table.Find("[data-testid=toggle-stopped]").TextContent.Trim());
    }

    [Fact]
    public void NoWorkerRunning_TheStoppedOnesShow_WithoutAButton()
    {
        var table = RenderTable(Worker("old-1", stopped: true), Worker("old-2", stopped: true));

        Assert.Equal(["old-1", "old-2"], Nodes(table));
        Assert.Empty(table.FindAll("[data-testid=toggle-stopped]"));
    }
}
