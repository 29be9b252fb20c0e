using Portal.Features.Auth;
using System.Security.Claims;
using System.Security.Cryptography;
using Dapper;
using Npgsql;
using Portal.Features.Audit;

namespace Portal.Features.Vitals;

/// <summary>An app that sends Web Vitals: its public key (in its pages, so not a secret), allowed origins and sample rate.</summary>
public sealed record VitalsApp
{
    public string Id { get; init; } = "";
    public string Name { get; init; } = "";
    public string PublicKey { get; init; } = "";
    public string[] AllowedOrigins { get; init; } = [];
    public double SampleRate { get; init; } = 1;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? KeyRotatedAt { get; init; }

    /// <summary>The app's page grouping rules (<see cref="Vitals.PageGroups"/>), in order.</summary>
    public string[] PageGroups { get; init; } = [];

    /// <summary>Numeric and hash-like path segments count as one page (<c>:id</c>, <c>:hash</c>).</summary>
    public bool CollapseIds { get; init; } = true;

    /// <summary>Whether the app's soft navigations (a single-page app's route changes) count as page views of their own.</summary>
    public bool SoftNavigations { get; init; }

    /// <summary>
    /// Whether a browser page at <paramref name="origin"/> may send for this app: an allowed origin, or the portal's own
    /// (its pages report themselves). No Origin header is a server-side sender, which CORS cannot restrict anyway.
    /// </summary>
    public bool Allows(string? origin, string ownOrigin) =>
        string.IsNullOrEmpty(origin) || origin == ownOrigin || AllowedOrigins.Contains("*") || AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase);
}

/// <summary>The <c>vitals_apps</c> table, held in memory for the ingestion path (refreshed on every change and every few seconds).</summary>
public sealed class VitalsApps(NpgsqlDataSource dataSource, AuditLog audit)
{
    public const string PortalApp = "portal";
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private volatile IReadOnlyDictionary<string, VitalsApp> byKey = new Dictionary<string, VitalsApp>();
    private long loadedAt;
    private int refreshing;

    private const string Columns = """
        id AS "Id", name AS "Name", public_key AS "PublicKey", allowed_origins AS "AllowedOrigins", sample_rate AS "SampleRate",
        created_at AS "CreatedAt", key_rotated_at AS "KeyRotatedAt", page_groups AS "PageGroups", collapse_ids AS "CollapseIds",
        soft_navigations AS "SoftNavigations"
        """;

    public async Task<IReadOnlyList<VitalsApp>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<VitalsApp>(new CommandDefinition($"SELECT {Columns} FROM vitals_apps ORDER BY id = 'portal' DESC, id",
            cancellationToken: cancellationToken))).AsList();
    }

    public async Task<VitalsApp?> FindAsync(string id, CancellationToken cancellationToken = default) =>
        (await ListAsync(cancellationToken)).FirstOrDefault(app => app.Id == id);

    /// <summary>The app a key belongs to, from memory (ingestion must not query per request); null for an unknown key.</summary>
    public async ValueTask<VitalsApp?> ByKeyAsync(string key, CancellationToken cancellationToken = default)
    {
        // When the map is stale one request refreshes it and the others go on with it: thousands of requests a
        // second must not all query the apps at once. Only the very first load is waited for by everyone.
        if (Environment.TickCount64 - Interlocked.Read(ref loadedAt) > MaxAge.TotalMilliseconds
            && (byKey.Count == 0 || Interlocked.CompareExchange(ref refreshing, 1, 0) == 0))
        {
            try
            {
                await ReloadAsync(cancellationToken);
            }
            catch (NpgsqlException) when (byKey.Count > 0)
            {
                // The database is away: the apps known a moment ago still are (their events wait in the writer's queue).
                Interlocked.Exchange(ref loadedAt, Environment.TickCount64);
            }
            finally
            {
                Interlocked.Exchange(ref refreshing, 0);
            }
        }
        return byKey.GetValueOrDefault(key);
    }

    /// <summary>The key of the portal's own pages (null if its app was deleted).</summary>
    public async ValueTask<string?> PortalKeyAsync(CancellationToken cancellationToken = default)
    {
        await ByKeyAsync("", cancellationToken);
        return byKey.Values.FirstOrDefault(app => app.Id == PortalApp)?.PublicKey;
    }

    /// <summary>Any app allows this origin (what a CORS preflight, which carries no key, can be answered with).</summary>
    public async ValueTask<bool> AnyAllowsAsync(string origin, string ownOrigin, CancellationToken cancellationToken = default)
    {
        await ByKeyAsync("", cancellationToken);
        return byKey.Values.Any(app => app.Allows(origin, ownOrigin));
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        byKey = (await ListAsync(cancellationToken)).ToDictionary(app => app.PublicKey);
        Interlocked.Exchange(ref loadedAt, Environment.TickCount64);
    }

    public static string NewKey() => "pk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <returns>An error for the form, or null.</returns>
    public async Task<string?> SaveAsync(ClaimsPrincipal actor, VitalsApp app, bool create, CancellationToken cancellationToken = default)
    {
        PortalRoles.Demand(actor, PortalRoles.Admin, "change Web Vitals apps");
        if (!System.Text.RegularExpressions.Regex.IsMatch(app.Id, "^[a-z0-9][a-z0-9-]{0,39}$"))
        {
            return "The id is 1 to 40 lower-case letters, digits and dashes.";
        }
        if (app.SampleRate is <= 0 or > 1)
        {
            return "The sample rate is a share above 0 and at most 1 (1 sends every page view).";
        }
        if (app.AllowedOrigins.FirstOrDefault(origin => origin != "*" && !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.AbsolutePath == "/" && origin == uri.GetLeftPart(UriPartial.Authority))) is { } bad)
        {
            return $"“{bad}” is not an origin: scheme, host and port only, like https://shop.example.com.";
        }
        if (app.PageGroups.Length > Vitals.PageGroups.MaxRules)
        {
            return $"At most {Vitals.PageGroups.MaxRules} page groups.";
        }
        if (app.PageGroups.Select(Vitals.PageGroups.Problem).FirstOrDefault(problem => problem is not null) is { } badRule)
        {
            return badRule;
        }
        var before = await FindAsync(app.Id, cancellationToken);
        if (create && before is not null)
        {
            return $"An app “{app.Id}” exists already.";
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO vitals_apps (id, name, public_key, allowed_origins, sample_rate, page_groups, collapse_ids, soft_navigations)
            VALUES (@Id, @Name, @key, @AllowedOrigins, @SampleRate, @PageGroups, @CollapseIds, @SoftNavigations)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, allowed_origins = excluded.allowed_origins, sample_rate = excluded.sample_rate,
                page_groups = excluded.page_groups, collapse_ids = excluded.collapse_ids, soft_navigations = excluded.soft_navigations
            """, new { app.Id, app.Name, key = NewKey(), app.AllowedOrigins, app.SampleRate, app.PageGroups, app.CollapseIds, app.SoftNavigations }, cancellationToken: cancellationToken));
        await audit.RecordAsync(AuditLog.ActorOf(actor), create ? "vitals.app.create" : "vitals.app.update", app.Id,
            before is null ? null : new { before.Name, before.AllowedOrigins, before.SampleRate, before.PageGroups, before.CollapseIds, before.SoftNavigations },
            new { app.Name, app.AllowedOrigins, app.SampleRate, app.PageGroups, app.CollapseIds, app.SoftNavigations }, cancellationToken);
        await ReloadAsync(cancellationToken);
        return null;
    }

    /// <summary>A new key: pages still carrying the old one are refused (401) from now on.</summary>
    public async Task RotateKeyAsync(ClaimsPrincipal actor, string id, CancellationToken cancellationToken = default)
    {
        PortalRoles.Demand(actor, PortalRoles.Admin, "rotate an app's key");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE vitals_apps SET public_key = @key, key_rotated_at = now() WHERE id = @id",
            new { id, key = NewKey() }, cancellationToken: cancellationToken));
        await audit.RecordAsync(AuditLog.ActorOf(actor), "vitals.app.rotate-key", id, null, new { rotated = true }, cancellationToken);
        await ReloadAsync(cancellationToken);
    }
}
