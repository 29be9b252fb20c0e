using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace Portal.Features.Auth;

/// <summary>A row of <c>api_tokens</c>; the secret itself is never stored.</summary>
public sealed record ApiToken
{
    public required long Id { get; init; }
    public required long UserId { get; init; }
    public required string Name { get; init; }
    public required string Role { get; init; }
    public required string Prefix { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
}

/// <summary>A token just created: <see cref="Secret"/> is shown once and then only its hash exists.</summary>
public sealed record IssuedToken(ApiToken Token, string Secret);

public sealed class ApiTokens(NpgsqlDataSource dataSource, UserStore users)
{
    private const string Prefix = "ptk_";

    private const string Columns = """
        id AS "Id", user_id AS "UserId", name AS "Name", role AS "Role", prefix AS "Prefix",
        created_at AS "CreatedAt", last_used_at AS "LastUsedAt", revoked_at AS "RevokedAt"
        """;

    // Tokens are 256 random bits: a plain SHA-256 is enough (a slow password hash guards low-entropy secrets).
    private static byte[] HashOf(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public async Task<IssuedToken> CreateAsync(long userId, string name, string role, CancellationToken cancellationToken = default)
    {
        var secret = Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        const string sql = $"""
            INSERT INTO api_tokens (user_id, name, role, token_hash, prefix)
            VALUES (@userId, @name, @role, @hash, @prefix)
            RETURNING {Columns}
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var token = await connection.QuerySingleAsync<ApiToken>(new CommandDefinition(
            sql, new { userId, name, role, hash = HashOf(secret), prefix = secret[..12] }, cancellationToken: cancellationToken));
        return new IssuedToken(token, secret);
    }

    public async Task<IReadOnlyList<ApiToken>> ListForUserAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ApiToken>(new CommandDefinition(
            $"SELECT {Columns} FROM api_tokens WHERE user_id = @userId ORDER BY revoked_at IS NOT NULL, created_at DESC",
            new { userId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <returns>The token as it was before, or null when the user has no such live token.</returns>
    public async Task<ApiToken?> RevokeAsync(long userId, long tokenId, CancellationToken cancellationToken = default)
    {
        const string sql = $"""
            UPDATE api_tokens SET revoked_at = now()
            WHERE id = @tokenId AND user_id = @userId AND revoked_at IS NULL
            RETURNING {Columns}
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApiToken>(new CommandDefinition(sql, new { userId, tokenId }, cancellationToken: cancellationToken));
    }

    /// <summary>The live token with this secret and its enabled user, recording its use (at most once a minute).</summary>
    public async Task<(PortalUser User, ApiToken Token)?> AuthenticateAsync(string secret, CancellationToken cancellationToken = default)
    {
        if (!secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        const string sql = $"""
            WITH token AS (
                SELECT {Columns} FROM api_tokens WHERE token_hash = @hash AND revoked_at IS NULL
            ), used AS (
                UPDATE api_tokens SET last_used_at = now()
                WHERE id IN (SELECT "Id" FROM token) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
            )
            SELECT * FROM token
            """;
        ApiToken? token;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            token = await connection.QuerySingleOrDefaultAsync<ApiToken>(new CommandDefinition(
                sql, new { hash = HashOf(secret) }, cancellationToken: cancellationToken));
        }
        if (token is null)
        {
            return null;
        }

        var user = await users.FindByIdAsync(token.UserId, cancellationToken);
        return user is { Disabled: false } ? (user, token) : null;
    }
}
