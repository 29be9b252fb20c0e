namespace Portal.Features.Auth;

/// <summary>
/// The sessions behind the open circuits of this process, re-read together: one statement every 30 s whatever the
/// number of open tabs, instead of two per tab and minute. Each circuit's revalidation (<see cref="UserRevalidation"/>)
/// takes its answer from the last read, so a session ended elsewhere closes its tabs within 90 s.
/// </summary>
public sealed class CircuitSessions(AuthSessions sessions, TimeProvider time)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(30);

    private readonly Lock gate = new();
    private readonly Dictionary<Guid, int> open = [];
    private IReadOnlyDictionary<Guid, PortalUser> users = new Dictionary<Guid, PortalUser>();
    private HashSet<Guid> read = [];
    private DateTimeOffset readAt = DateTimeOffset.MinValue;
    private Task? reading;

    public void Add(Guid session)
    {
        lock (gate)
        {
            open[session] = open.GetValueOrDefault(session) + 1;
        }
    }

    public void Remove(Guid session)
    {
        lock (gate)
        {
            if (open.TryGetValue(session, out var count))
            {
                if (count <= 1)
                {
                    open.Remove(session);
                }
                else
                {
                    open[session] = count - 1;
                }
            }
        }
    }

    /// <summary>The session's user as last read (null: ended, expired or gone), reading all open sessions if that is older than 30 s.</summary>
    public async Task<PortalUser?> UserOfAsync(Guid session, CancellationToken cancellationToken)
    {
        Task pending;
        lock (gate)
        {
            if (time.GetUtcNow() - readAt < Freshness && read.Contains(session))
            {
                return users.GetValueOrDefault(session);
            }
            pending = reading ??= ReadAsync();
        }
        await pending.WaitAsync(cancellationToken);
        lock (gate)
        {
            return users.GetValueOrDefault(session);
        }
    }

    private async Task ReadAsync()
    {
        await Task.Yield();
        try
        {
            Guid[] ids;
            lock (gate)
            {
                ids = [.. open.Keys];
            }
            var found = await sessions.FindUsersAsync(ids, CancellationToken.None);
            lock (gate)
            {
                (users, read, readAt) = (found, [.. ids], time.GetUtcNow());
            }
        }
        finally
        {
            lock (gate)
            {
                reading = null;
            }
        }
    }
}
