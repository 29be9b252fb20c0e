using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;
using Portal.Features.Audit;
using Portal.Features.Auth;

namespace Portal.Features.Reports;

/// <summary>A subscription: who gets which scope's report, how often, at what local hour.</summary>
public sealed record ReportSubscription(
    long Id, string Owner, IReadOnlyList<string> Recipients, ReportScope Scope, string Schedule, int SendHour, string TimeZone, bool SkipWithoutData, DateTimeOffset CreatedAt,
    long? OwnerId = null)
{
    /// <summary>The period due at <paramref name="now"/>: the last whole one whose sending hour has come, if it came after the subscription.</summary>
    public ReportPeriod? DueAt(DateTimeOffset now)
    {
        var period = ReportPeriod.Last(Schedule, now, TimeZone);
        if (now < SendAt(period))
        {
            period = period.Previous;
        }
        return SendAt(period) >= CreatedAt ? period : null;
    }

    /// <summary>When a period's report goes out: its end (local midnight) plus the sending hour.</summary>
    public DateTimeOffset SendAt(ReportPeriod period)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        var local = TimeZoneInfo.ConvertTime(period.End, zone).DateTime.AddHours(SendHour);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary>When its next report goes out.</summary>
    public DateTimeOffset NextSendAfter(DateTimeOffset now)
    {
        var period = ReportPeriod.Last(Schedule, now, TimeZone);
        while (SendAt(period) <= now)
        {
            period = ReportPeriod.Last(Schedule, period.End.AddDays(Schedule switch { ReportSchedules.Daily => 1, ReportSchedules.Monthly => 32, _ => 7 }), TimeZone);
        }
        return SendAt(period);
    }

    public string Describe() => Schedule switch
    {
        ReportSchedules.Daily => $"every day at {SendHour:00}:00",
        ReportSchedules.Monthly => $"on the 1st of each month at {SendHour:00}:00",
        _ => $"Mondays at {SendHour:00}:00",
    } + $" ({TimeZone})";
}

/// <summary>
/// The <c>report_subscriptions</c> table. Admins manage any subscription; other users create and manage their own,
/// sent to one address. Every change is audited. Unsubscribe links are signed with the subscription's own secret.
/// </summary>
public sealed class ReportSubscriptions(NpgsqlDataSource dataSource, AuditLog audit, UserStore users, Microsoft.Extensions.Options.IOptions<ReportOptions> options)
{
    private const string Columns = """
        id AS "Id", owner AS "Owner", owner_id AS "OwnerId", recipients AS "Recipients", scope::text AS "ScopeJson", schedule AS "Schedule", send_hour AS "SendHour",
        time_zone AS "TimeZone", skip_without_data AS "SkipWithoutData", created_at AS "CreatedAt"
        """;

    public async Task<IReadOnlyList<ReportSubscription>> ListAsync(ClaimsPrincipal? viewer = null, CancellationToken cancellationToken = default)
    {
        var owner = viewer is null || viewer.IsInRole(PortalRoles.Admin) ? null : AuditLog.ActorOf(viewer);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM report_subscriptions WHERE @owner::text IS NULL OR owner = @owner ORDER BY id", new { owner }, cancellationToken: cancellationToken));
        return rows.Select(row => row.ToSubscription()).ToList();
    }

    public async Task<ReportSubscription?> FindAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryFirstOrDefaultAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM report_subscriptions WHERE id = @id", new { id }, cancellationToken: cancellationToken)))?.ToSubscription();
    }

    /// <returns>The new subscription, or the reason it is refused.</returns>
    public async Task<(ReportSubscription? Subscription, string? Problem)> CreateAsync(
        ClaimsPrincipal actor, IReadOnlyList<string> recipients, ReportScope scope, string schedule, int sendHour, string timeZone, bool skipWithoutData,
        CancellationToken cancellationToken = default)
    {
        var addresses = recipients.Select(recipient => recipient.Trim()).Where(recipient => recipient.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var problem = addresses.Count == 0 ? "Give at least one e-mail address."
            : addresses.FirstOrDefault(address => !MimeKit.MailboxAddress.TryParse(address, out var parsed) || !parsed.Address.Contains('@', StringComparison.Ordinal)) is { } bad ? $"'{bad}' is not an e-mail address."
            : !actor.IsInRole(PortalRoles.Admin) && addresses.Count > 1 ? "You subscribe yourself: one address (admins subscribe others)."
            : !actor.IsInRole(PortalRoles.Admin) && addresses.FirstOrDefault(address => !MayReceive(actor, address)) is { } other
                ? $"You may subscribe only your own address{OwnAddressHint(actor)}{DomainsHint()}; '{other}' is not (admins subscribe others)."
            : !ReportSchedules.All.Contains(schedule) ? $"The schedule is one of {string.Join(", ", ReportSchedules.All)}."
            : sendHour is < 0 or > 23 ? "The hour is 0 to 23."
            : !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _) ? $"'{timeZone}' is not a time zone."
            : null;
        if (problem is not null)
        {
            return (null, problem);
        }
        var owner = AuditLog.ActorOf(actor);
        var ownerId = actor.UserId();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO report_subscriptions (owner, owner_id, recipients, scope, schedule, send_hour, time_zone, skip_without_data, secret)
            VALUES (@owner, @ownerId, @recipients, @scope::jsonb, @schedule, @sendHour, @timeZone, @skipWithoutData, @secret) RETURNING id
            """, new { owner, ownerId, recipients = addresses.ToArray(), scope = JsonSerializer.Serialize(scope, ReportArchive.Json), schedule, sendHour, timeZone, skipWithoutData, secret = RandomNumberGenerator.GetBytes(32) },
            cancellationToken: cancellationToken));
        await audit.RecordAsync(owner, "report.subscribe", $"subscription {id}", null, new { recipients = addresses, scope, schedule, sendHour, timeZone }, cancellationToken);
        return (await FindAsync(id, cancellationToken), null);
    }

    // A non-admin's own address is their login when it is one (SSO users sign in with their e-mail).
    private bool MayReceive(ClaimsPrincipal actor, string address)
    {
        var mailbox = MimeKit.MailboxAddress.Parse(address).Address;
        var domain = mailbox[(mailbox.LastIndexOf('@') + 1)..];
        return string.Equals(mailbox, actor.Identity?.Name, StringComparison.OrdinalIgnoreCase)
            || options.Value.AllowedRecipientDomains.Any(allowed => string.Equals(allowed.Trim().TrimStart('@'), domain, StringComparison.OrdinalIgnoreCase));
    }

    private static string OwnAddressHint(ClaimsPrincipal actor) =>
        actor.Identity?.Name is { } login && login.Contains('@', StringComparison.Ordinal) ? $" ({login})" : "";

    private string DomainsHint() => options.Value.AllowedRecipientDomains.Count == 0 ? "" : $" or one at {string.Join(", ", options.Value.AllowedRecipientDomains)}";

    /// <summary>
    /// Why a subscription sends nothing now (its owner was disabled or removed), or null when it sends. Asked of Auth,
    /// which owns the users; older subscriptions name their owner by login.
    /// </summary>
    public async Task<string?> PausedBecauseAsync(ReportSubscription subscription, CancellationToken cancellationToken = default)
    {
        var owner = subscription.OwnerId is { } id
            ? await users.FindByIdAsync(id, cancellationToken)
            : await users.FindByLoginAsync(subscription.Owner, cancellationToken);
        return owner is null ? $"paused: its owner {subscription.Owner} no longer exists"
            : owner.Disabled ? $"paused: its owner {owner.Login} is disabled"
            : null;
    }

    /// <returns>False when it does not exist or is not the actor's to delete.</returns>
    public async Task<bool> DeleteAsync(ClaimsPrincipal actor, long id, CancellationToken cancellationToken = default)
    {
        var owner = actor.IsInRole(PortalRoles.Admin) ? null : AuditLog.ActorOf(actor);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (await connection.ExecuteAsync(new CommandDefinition("DELETE FROM report_subscriptions WHERE id = @id AND (@owner::text IS NULL OR owner = @owner)", new { id, owner }, cancellationToken: cancellationToken)) == 0)
        {
            return false;
        }
        await audit.RecordAsync(AuditLog.ActorOf(actor), "report.unsubscribe", $"subscription {id}", null, null, cancellationToken);
        return true;
    }

    /// <summary>The token of a recipient's unsubscribe link: the subscription, the address, and their HMAC under the subscription's secret.</summary>
    public async Task<string> UnsubscribeTokenAsync(long id, string recipient, CancellationToken cancellationToken = default)
    {
        var secret = await SecretAsync(id, cancellationToken) ?? throw new InvalidOperationException($"no subscription {id}");
        var payload = $"{id}:{recipient}";
        return $"{Base64Url(Encoding.UTF8.GetBytes(payload))}.{Base64Url(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(payload)))}";
    }

    /// <summary>The subscription and address a token names, if its signature holds (forged, altered, or its subscription gone: null).</summary>
    public async Task<(long Id, string Recipient)?> ReadTokenAsync(string? token, CancellationToken cancellationToken = default)
    {
        var parts = (token ?? "").Split('.');
        if (parts.Length != 2 || FromBase64Url(parts[0]) is not { } payload || FromBase64Url(parts[1]) is not { } signature)
        {
            return null;
        }
        var text = Encoding.UTF8.GetString(payload);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && long.TryParse(text[..colon], out var id) && await SecretAsync(id, cancellationToken) is { } secret
               && CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(secret, payload), signature)
            ? (id, text[(colon + 1)..])
            : null;
    }

    /// <summary>Removes the token's recipient from its subscription (the subscription ends with its last one).</summary>
    /// <returns>The address unsubscribed, or null when the token is not valid.</returns>
    public async Task<string?> UnsubscribeAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (await ReadTokenAsync(token, cancellationToken) is not var (id, recipient))
        {
            return null;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE report_subscriptions SET recipients = array_remove(recipients, @recipient) WHERE id = @id AND cardinality(recipients) > 1",
            new { id, recipient }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM report_subscriptions WHERE id = @id AND recipients = ARRAY[@recipient]",
            new { id, recipient }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        await audit.RecordAsync(recipient, "report.unsubscribe", $"subscription {id}", null, new { via = "e-mail link" }, cancellationToken);
        return recipient;
    }

    private async Task<byte[]?> SecretAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<byte[]?>(new CommandDefinition("SELECT secret FROM report_subscriptions WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[]? FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private sealed class Row
    {
        public long Id { get; init; }
        public string Owner { get; init; } = "";
        public long? OwnerId { get; init; }
        public string[] Recipients { get; init; } = [];
        public string ScopeJson { get; init; } = "{}";
        public string Schedule { get; init; } = "";
        public int SendHour { get; init; }
        public string TimeZone { get; init; } = "";
        public bool SkipWithoutData { get; init; }
        public DateTimeOffset CreatedAt { get; init; }

        public ReportSubscription ToSubscription() => new(Id, Owner, Recipients, JsonSerializer.Deserialize<ReportScope>(ScopeJson, ReportArchive.Json)!, Schedule, SendHour, TimeZone, SkipWithoutData, CreatedAt, OwnerId);
    }
}
