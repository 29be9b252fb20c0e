using System.Runtime.CompilerServices;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Portal.Features.Cache;

/// <summary>The cache's PostgreSQL tier (<c>cache_entries</c>): read and written by <see cref="PortalCache"/>, trimmed by the cache-cleanup job.</summary>
public sealed class CacheEntryStore(NpgsqlDataSource dataSource, IOptions<CacheOptions> options, ILogger<CacheEntryStore> logger)
{
    public async Task<StrongBox<T>?> ReadAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var bytes = await connection.ExecuteScalarAsync<byte[]?>(new CommandDefinition(
                "SELECT value FROM cache_entries WHERE key = @key AND expires_at > now()", new { key }, cancellationToken: cancellationToken));
            return bytes is null ? null : new StrongBox<T>(JsonSerializer.Deserialize<T>(bytes, CacheSerializer.Json)!);
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Cache: PostgreSQL tier unavailable for {Key}: {Message}", key, ex.Message);
            return null;
        }
    }

    public async Task WriteAsync<T>(string key, string category, T value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO cache_entries (key, category, value, expires_at) VALUES (@key, @category, @value, now() + @ttl)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, created_at = now(), expires_at = excluded.expires_at
                """, new { key, category, value = JsonSerializer.SerializeToUtf8Bytes(value, CacheSerializer.Json), ttl }, cancellationToken: cancellationToken));
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Cache: could not persist {Key}: {Message}", key, ex.Message);
        }
    }

    /// <summary>Live (unexpired) rows and their bytes, per category.</summary>
    public async Task<IReadOnlyDictionary<string, (long Entries, long Bytes)>> SizesAsync(CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT category AS "Category", count(*) AS "Entries", coalesce(sum(octet_length(value) + octet_length(key)), 0) AS "Bytes"
            FROM cache_entries WHERE expires_at > now() GROUP BY category
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<(string Category, long Entries, long Bytes)>(new CommandDefinition(sql, cancellationToken: cancellationToken)))
            .ToDictionary(row => row.Category, row => (row.Entries, row.Bytes), StringComparer.OrdinalIgnoreCase);
    }

    public async Task DeleteCategoryAsync(string category, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM cache_entries WHERE category = @category", new { category }, cancellationToken: cancellationToken));
    }

    /// <summary>Deletes expired rows in batches (short statements, no long locks); returns rows and bytes freed.</summary>
    public async Task<(long Rows, long Bytes)> DeleteExpiredAsync(CancellationToken cancellationToken = default)
    {
        const string sql = """
            WITH expired AS (
                SELECT key FROM cache_entries WHERE expires_at <= now() ORDER BY expires_at LIMIT @batch FOR UPDATE SKIP LOCKED
            ), deleted AS (
                DELETE FROM cache_entries c USING expired WHERE c.key = expired.key RETURNING octet_length(c.value) + octet_length(c.key) AS bytes
            )
            SELECT count(*) AS "Rows", coalesce(sum(bytes), 0) AS "Bytes" FROM deleted
            """;
        long rows = 0, bytes = 0;
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var (batchRows, batchBytes) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
                sql, new { batch = options.Value.CleanupBatchSize }, cancellationToken: cancellationToken));
            rows += batchRows;
            bytes += batchBytes;
            if (batchRows < options.Value.CleanupBatchSize)
            {
                return (rows, bytes);
            }
        }
    }
}
