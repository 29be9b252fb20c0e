using Dapper;
using Npgsql;

namespace Portal.Features.Auth;

/// <summary>One signed-in browser: what its cookie names.</summary>
public sealed record AuthSession
{
    public required Guid Id { get; init; }
    public required long UserId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public required bool RememberMe { get; init; }
    public string? ClientAddress { get; init; }
    public string? UserAgent { get; init; }
}

/// <summary>
/// The <c>auth_sessions</c> table. A cookie is accepted only while its session is open and not past its absolute
/// expiry, so a session can be ended from the server: at sign-out, and for all of a user's browsers when their
/// password is reset, their role changes, they are disabled, or they (or an admin) sign them out everywhere.
/// </summary>
public sealed class AuthSessions(NpgsqlDataSource dataSource, UserStore users)
{
    private const string Columns = """
        id AS "Id", user_id AS "UserId", created_at AS "CreatedAt", expires_at AS "ExpiresAt", remember_me AS "RememberMe",
        host(client_address) AS "ClientAddress", user_agent AS "UserAgent"
        """;

    public async Task<AuthSession> StartAsync(long userId, TimeSpan lifetime, bool rememberMe, string? clientAddress, string? userAgent, CancellationToken cancellationToken = default)
    {
        const string sql = $"""
            INSERT INTO auth_sessions (id, user_id, expires_at, remember_me, client_address, user_agent)
            VALUES (@id, @userId, now() + @lifetime, @rememberMe, @clientAddress::inet, left(@userAgent, 300))
            RETURNING {Columns}
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<AuthSession>(new CommandDefinition(sql,
            new { id = Guid.NewGuid(), userId, lifetime, rememberMe, clientAddress, userAgent }, cancellationToken: cancellationToken));
    }

    /// <summary>The user of an open, unexpired session (null: ended, expired, unknown, or the user is gone).</summary>
    public async Task<PortalUser?> FindUserAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var userId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT user_id FROM auth_sessions WHERE id = @sessionId AND ended_at IS NULL AND expires_at > now()",
            new { sessionId }, cancellationToken: cancellationToken));
        return userId is { } id ? await users.FindByIdAsync(id, cancellationToken) : null;
    }

    /// <summary>The users of those of <paramref name="sessionIds"/> that are open and unexpired, in one statement.</summary>
    public async Task<IReadOnlyDictionary<Guid, PortalUser>> FindUsersAsync(IReadOnlyCollection<Guid> sessionIds, CancellationToken cancellationToken = default)
    {
        const string sql = $"""
            SELECT {UserStore.Columns}, open.session_id AS "SessionId"
            FROM users
            JOIN (SELECT id AS session_id, user_id FROM auth_sessions WHERE id = ANY(@ids) AND ended_at IS NULL AND expires_at > now()) open
              ON open.user_id = users.id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<PortalUser, Guid, (PortalUser User, Guid Session)>(new CommandDefinition(sql, new { ids = sessionIds.ToArray() }, cancellationToken: cancellationToken),
            (user, session) => (user, session), splitOn: "SessionId");
        return rows.ToDictionary(row => row.Session, row => row.User);
    }

    public async Task<IReadOnlyList<AuthSession>> ListOpenAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<AuthSession>(new CommandDefinition(
            $"SELECT {Columns} FROM auth_sessions WHERE user_id = @userId AND ended_at IS NULL AND expires_at > now() ORDER BY created_at DESC",
            new { userId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task EndAsync(Guid sessionId, string reason, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE auth_sessions SET ended_at = now(), ended_reason = @reason WHERE id = @sessionId AND ended_at IS NULL",
            new { sessionId, reason }, cancellationToken: cancellationToken));
    }

    /// <returns>How many sessions it ended.</returns>
    public async Task<int> EndAllAsync(long userId, string reason, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE auth_sessions SET ended_at = now(), ended_reason = @reason WHERE user_id = @userId AND ended_at IS NULL",
            new { userId, reason }, cancellationToken: cancellationToken));
    }
}
