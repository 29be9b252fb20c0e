using System.Collections.Concurrent;
using System.Text.Json;
using Prometheus;

namespace Portal.Components.Live;

/// <summary>What a feed last read: its value, or why the read failed (the previous value kept), and when.</summary>
public sealed record LiveValue<T>(T? Value, string? Error, DateTimeOffset ReadAt);

/// <summary>
/// The live pages' data, read once per interval per key however many tabs show it (the Aspire dashboard's pattern):
/// a feed polls while at least one viewer that is connected and looking follows it, and tells those viewers only when
/// what it read differs from the last read. A key names the page and every filter its read depends on: the same
/// filters share one poll, different filters have their own. A read in flight is cancelled when the application stops
/// (a hung dependency would otherwise hold the process's shutdown for its whole time-out).
/// </summary>
public sealed class LiveFeeds(IServiceProvider services, TimeProvider time, ILogger<LiveFeeds> logger, IHostApplicationLifetime lifetime)
{
    private static readonly Counter Polls = Metrics.CreateCounter(
        "portal_live_polls_total", "Reads made by the live pages' shared feeds (one per feed and interval, whatever the number of viewers).", "feed");

    private static readonly Gauge Followers = Metrics.CreateGauge(
        "portal_live_followers", "Page instances following a live feed (open tabs of live pages, hidden or disconnected ones included).");

    private readonly ConcurrentDictionary<string, IFeed> feeds = new(StringComparer.Ordinal);

    internal IServiceProvider Services => services;

    internal TimeProvider Time => time;

    internal ILogger Logger => logger;

    internal CancellationToken Stopping => lifetime.ApplicationStopping;

    /// <summary>How many reads the feed of <paramref name="key"/> made, and how many viewers follow it (all, then active ones).</summary>
    public (long Reads, int Followers, int Active) Describe(string key) =>
        feeds.TryGetValue(key, out var feed) ? feed.Describe() : (0, 0, 0);

    /// <summary>Every feed's key and what <see cref="Describe"/> says of it.</summary>
    public IReadOnlyList<(string Key, long Reads, int Followers, int Active)> DescribeAll() =>
        [.. feeds.Select(feed => feed.Value.Describe() is var (reads, followers, active) ? (feed.Key, reads, followers, active) : default)];

    /// <summary>A page's following of feeds of <typeparamref name="T"/>; dispose it with the page.</summary>
    public LiveFollow<T> Follow<T>(LiveViewer viewer, Func<Task> changed) => new(this, viewer, changed);

    internal Feed<T> FeedOf<T>(string key, TimeSpan interval, Func<IServiceProvider, CancellationToken, Task<T>> read)
    {
        Sweep();
        return (Feed<T>)feeds.GetOrAdd(key, _ => new Feed<T>(key, interval, read, this));
    }

    /// <summary>How many feeds the process keeps (followed ones, and unfollowed ones for a minute after their last read).</summary>
    public int Count => feeds.Count;

    private long lastSweep;

    // Keys carry filters typed by users (a search text): a feed nobody follows is dropped a minute after its last read,
    // so the number of feeds stays bounded by what is being looked at.
    private void Sweep()
    {
        var now = time.GetUtcNow();
        var last = Interlocked.Read(ref lastSweep);
        if (now.UtcTicks - last < TimeSpan.FromSeconds(30).Ticks || Interlocked.CompareExchange(ref lastSweep, now.UtcTicks, last) != last)
        {
            return;
        }
        foreach (var (key, feed) in feeds)
        {
            if (feed.Idle(now, TimeSpan.FromMinutes(1)))
            {
                feeds.TryRemove(new KeyValuePair<string, IFeed>(key, feed));
            }
        }
    }

    internal interface IFeed
    {
        (long Reads, int Followers, int Active) Describe();

        bool Idle(DateTimeOffset now, TimeSpan after);
    }

    internal sealed class Feed<T>(string key, TimeSpan interval, Func<IServiceProvider, CancellationToken, Task<T>> read, LiveFeeds owner) : IFeed
    {
        private readonly Lock gate = new();
        private readonly List<LiveFollow<T>> followers = [];
        private readonly string name = key.Split('?', 2)[0];
        private Task<LiveValue<T>>? reading;
        private LiveValue<T>? latest;
        private byte[]? fingerprint;
        private long version;
        private long reads;
        private bool polling;

        public long Version => Interlocked.Read(ref version);

        public LiveValue<T>? Latest => latest;

        public (long Reads, int Followers, int Active) Describe()
        {
            lock (gate)
            {
                return (reads, followers.Count, followers.Count(follower => follower.Active));
            }
        }

        public bool Idle(DateTimeOffset now, TimeSpan after)
        {
            lock (gate)
            {
                return followers.Count == 0 && !polling && reading is null && (latest is null || now - latest.ReadAt > interval + after);
            }
        }

        /// <summary>The latest value if it is younger than the interval; otherwise a read (shared with any already running).</summary>
        public async Task<LiveValue<T>> CurrentAsync()
        {
            var value = latest;
            return value is not null && owner.Time.GetUtcNow() - value.ReadAt < interval ? value : await ReadAsync();
        }

        /// <summary>Reads now (or joins the read in flight) and tells the active followers if the value changed.</summary>
        public Task<LiveValue<T>> ReadAsync()
        {
            lock (gate)
            {
                return reading ??= ReadOnceAsync();
            }
        }

        private async Task<LiveValue<T>> ReadOnceAsync()
        {
            await Task.Yield(); // outside the lock that started it
            LiveValue<T> value;
            try
            {
                Interlocked.Increment(ref reads);
                Polls.WithLabels(name).Inc();
                value = new LiveValue<T>(await read(owner.Services, owner.Stopping), null, owner.Time.GetUtcNow());
            }
            catch (Exception ex)
            {
                if (!owner.Stopping.IsCancellationRequested)
                {
                    owner.Logger.LogWarning("Live feed {Feed} could not read: {Message}", name, ex.Message);
                }
                value = new LiveValue<T>(latest is null ? default : latest.Value, ex.Message, owner.Time.GetUtcNow());
            }

            var print = Fingerprint(value);
            bool changed;
            lock (gate)
            {
                changed = fingerprint is null || print is null || !print.AsSpan().SequenceEqual(fingerprint);
                latest = value;
                fingerprint = print;
                if (changed)
                {
                    Interlocked.Increment(ref version);
                }
                reading = null;
            }
            if (changed)
            {
                Notify();
            }
            return value;
        }

        // What the viewers would see, serialized: equal bytes, nothing to re-render (the time of the read aside).
        private static byte[]? Fingerprint(LiveValue<T> value)
        {
            try
            {
                return JsonSerializer.SerializeToUtf8Bytes(new { value.Value, value.Error });
            }
            catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
            {
                return null; // cannot compare: treat every read as a change
            }
        }

        private void Notify()
        {
            List<LiveFollow<T>> active;
            lock (gate)
            {
                active = followers.Where(follower => follower.Active).ToList();
            }
            foreach (var follower in active)
            {
                follower.Deliver(this);
            }
        }

        public void Add(LiveFollow<T> follower)
        {
            lock (gate)
            {
                followers.Add(follower);
                Followers.Inc();
            }
            Wake();
        }

        public void Remove(LiveFollow<T> follower)
        {
            lock (gate)
            {
                if (followers.Remove(follower))
                {
                    Followers.Dec();
                }
            }
        }

        /// <summary>Starts polling if an active follower is there and nobody polls yet.</summary>
        public void Wake()
        {
            lock (gate)
            {
                if (polling || !followers.Any(follower => follower.Active))
                {
                    return;
                }
                polling = true;
            }
            _ = PollAsync();
        }

        private async Task PollAsync()
        {
            try
            {
                while (true)
                {
                    var age = latest is { } value ? owner.Time.GetUtcNow() - value.ReadAt : interval;
                    if (age < interval)
                    {
                        await Task.Delay(interval - age, owner.Time);
                    }
                    lock (gate)
                    {
                        if (!followers.Any(follower => follower.Active))
                        {
                            polling = false; // nobody looks: no read until someone does
                            return;
                        }
                    }
                    await ReadAsync();
                }
            }
            catch (Exception ex)
            {
                owner.Logger.LogError(ex, "Live feed {Feed} stopped polling", name);
                lock (gate)
                {
                    polling = false;
                }
            }
        }
    }
}
