using Dapper;
using Npgsql;

namespace Portal.Features.Auth;

/// <summary>The <c>users</c> table.</summary>
public sealed class UserStore(NpgsqlDataSource dataSource)
{
    /// <summary>The columns of a <see cref="PortalUser"/>, for this feature's queries that read users with another table.</summary>
    internal const string Columns = """
        id AS "Id", login AS "Login", display_name AS "DisplayName", role AS "Role", password_hash AS "PasswordHash",
        source AS "Source", disabled AS "Disabled", failed_attempts AS "FailedAttempts", locked_until AS "LockedUntil",
        created_at AS "CreatedAt", last_sign_in_at AS "LastSignInAt"
        """;

    public async Task<PortalUser?> FindByLoginAsync(string login, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<PortalUser>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE lower(login) = lower(@login)", new { login }, cancellationToken: cancellationToken));
    }

    public async Task<PortalUser?> FindByIdAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<PortalUser>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>The oldest enabled admin: whom <c>./portal token</c> issues tokens for.</summary>
    public async Task<PortalUser?> FindFirstAdminAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<PortalUser>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE role = 'Admin' AND NOT disabled ORDER BY id LIMIT 1", cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<PortalUser>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var users = await connection.QueryAsync<PortalUser>(new CommandDefinition(
            $"SELECT {Columns} FROM users ORDER BY lower(login)", cancellationToken: cancellationToken));
        return users.AsList();
    }

    public async Task<bool> AnyAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM users)", cancellationToken: cancellationToken));
    }

    /// <returns>The new user, or null when the login is taken.</returns>
    public async Task<PortalUser?> CreateAsync(string login, string displayName, string role, string? passwordHash, string source, CancellationToken cancellationToken = default)
    {
        const string sql = $"""
            INSERT INTO users (login, display_name, role, password_hash, source)
            VALUES (@login, @displayName, @role, @passwordHash, @source)
            ON CONFLICT DO NOTHING
            RETURNING {Columns}
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<PortalUser>(new CommandDefinition(
            sql, new { login, displayName, role, passwordHash, source }, cancellationToken: cancellationToken));
    }

    public Task SetRoleAsync(long id, string role, CancellationToken cancellationToken = default) =>
        ExecuteAsync("UPDATE users SET role = @role WHERE id = @id", new { id, role }, cancellationToken);

    public Task SetDisabledAsync(long id, bool disabled, CancellationToken cancellationToken = default) =>
        ExecuteAsync("UPDATE users SET disabled = @disabled WHERE id = @id", new { id, disabled }, cancellationToken);

    /// <summary>A new password also lifts a lockout.</summary>
    public Task SetPasswordHashAsync(long id, string passwordHash, CancellationToken cancellationToken = default) =>
        ExecuteAsync("UPDATE users SET password_hash = @passwordHash, failed_attempts = 0, locked_until = NULL WHERE id = @id",
            new { id, passwordHash }, cancellationToken);

    public Task UnlockAsync(long id, CancellationToken cancellationToken = default) =>
        ExecuteAsync("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = @id", new { id }, cancellationToken);

    /// <summary>Counts a bad password; the attempt that reaches <paramref name="maxAttempts"/> locks the user until <paramref name="lockUntil"/>.</summary>
    public async Task<PortalUser> RecordFailedAttemptAsync(long id, int maxAttempts, DateTimeOffset lockUntil, CancellationToken cancellationToken = default)
    {
        const string sql = $"""
            UPDATE users
            SET failed_attempts = CASE WHEN failed_attempts + 1 >= @maxAttempts THEN 0 ELSE failed_attempts + 1 END,
                locked_until    = CASE WHEN failed_attempts + 1 >= @maxAttempts THEN @lockUntil ELSE locked_until END
            WHERE id = @id
            RETURNING {Columns}
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<PortalUser>(new CommandDefinition(
            sql, new { id, maxAttempts, lockUntil }, cancellationToken: cancellationToken));
    }

    public Task RecordSignInAsync(long id, CancellationToken cancellationToken = default) =>
        ExecuteAsync("UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in_at = now() WHERE id = @id", new { id }, cancellationToken);

    /// <summary>Header mode: the proxy vouches for the user; keep a row for tokens and the audit log, with the role its groups give today.</summary>
    public async Task<PortalUser> UpsertHeaderUserAsync(string email, string role, CancellationToken cancellationToken = default)
    {
        const string sql = $"""
            INSERT INTO users (login, display_name, role, source, last_sign_in_at)
            VALUES (@email, @email, @role, 'header', now())
            ON CONFLICT (lower(login)) DO UPDATE SET role = excluded.role, last_sign_in_at = now()
            RETURNING {Columns}
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<PortalUser>(new CommandDefinition(sql, new { email, role }, cancellationToken: cancellationToken));
    }

    private async Task ExecuteAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }
}
