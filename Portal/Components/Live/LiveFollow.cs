namespace Portal.Components.Live;

/// <summary>
/// One page instance following one feed at a time: <see cref="FollowAsync"/> with the key of its current filters
/// (a new key leaves the old feed), <see cref="Current"/> to render, and <c>changed</c> called (from the feed's
/// thread: re-render through <c>InvokeAsync</c>) when the feed read something new while the viewer looks.
/// </summary>
public sealed class LiveFollow<T> : IDisposable
{
    private readonly LiveFeeds feeds;
    private readonly LiveViewer viewer;
    private readonly Func<Task> changed;
    private LiveFeeds.Feed<T>? feed;
    private long seen;
    private bool disposed;

    internal LiveFollow(LiveFeeds feeds, LiveViewer viewer, Func<Task> changed)
    {
        this.feeds = feeds;
        this.viewer = viewer;
        this.changed = changed;
        viewer.ActiveChanged += OnViewerActiveChanged;
    }

    /// <summary>The value the page shows: the feed's latest when it was last delivered to this page.</summary>
    public LiveValue<T>? Current { get; private set; }

    internal bool Active => !disposed && viewer.Active;

    /// <summary>
    /// Follows the feed of <paramref name="key"/> (which must name every input of <paramref name="read"/>: the read is
    /// shared by all pages with that key, so it must not use this page's state) and sets <see cref="Current"/>.
    /// Outside a circuit (prerendering) it only reads: nobody would see updates.
    /// </summary>
    public async Task FollowAsync(string key, TimeSpan interval, Func<IServiceProvider, CancellationToken, Task<T>> read)
    {
        var next = feeds.FeedOf(key, interval, read);
        var joining = !ReferenceEquals(next, feed);
        if (joining)
        {
            feed?.Remove(this);
            feed = next;
            seen = 0;
        }
        var value = await next.CurrentAsync();
        if (!ReferenceEquals(next, feed))
        {
            return; // the filters changed again meanwhile
        }
        // What this page renders now counts as seen; only later reads are delivered (no second render of the first).
        seen = next.Version;
        Current = next.Latest ?? value;
        if (joining && viewer.InCircuit && !disposed)
        {
            next.Add(this);
        }
    }

    /// <summary>Reads now for every follower of the feed (after this page changed what it shows, e.g. ran a job).</summary>
    public async Task RefreshAsync()
    {
        if (feed is { } current)
        {
            Current = await current.ReadAsync();
            seen = current.Version;
        }
    }

    internal void Deliver(LiveFeeds.Feed<T> from)
    {
        if (!ReferenceEquals(from, feed) || !Active || from.Version <= Interlocked.Read(ref seen))
        {
            return;
        }
        Interlocked.Exchange(ref seen, from.Version);
        Current = from.Latest;
        _ = NotifyAsync();
    }

    private async Task NotifyAsync()
    {
        try
        {
            await changed();
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between the read and the render.
        }
    }

    // Back in view or reconnected: catch up with what was read meanwhile, and wake the feed if it slept.
    private void OnViewerActiveChanged()
    {
        if (feed is { } current && Active)
        {
            Deliver(current);
            current.Wake();
        }
    }

    public void Dispose()
    {
        disposed = true;
        viewer.ActiveChanged -= OnViewerActiveChanged;
        feed?.Remove(this);
    }
}
