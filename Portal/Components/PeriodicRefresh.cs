namespace Portal.Components;

/// <summary>A page's live refresh: runs <c>refresh</c> every interval until the page is closed (its token cancelled).</summary>
public static class PeriodicRefresh
{
    public static async Task RunAsync(TimeSpan interval, Func<Task> refresh, CancellationToken closed)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(closed))
            {
                await refresh();
            }
        }
        catch (OperationCanceledException)
        {
            // The page was closed.
        }
    }
}
