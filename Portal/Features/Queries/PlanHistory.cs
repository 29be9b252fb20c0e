using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Portal.Features.Queries;

/// <summary>A distinct plan of a statement: its shape (one line a node), its cost, and when it was first and last seen.</summary>
public sealed record StatementPlan(long QueryId, string Fingerprint, string Shape, double TotalCost, string Plan, DateTimeOffset FirstSeen, DateTimeOffset LastSeen)
{
    /// <summary>The plan in a line: its first scans ("Seq Scan on orders").</summary>
    public string Summary => string.Join(", ", Shape.Split('\n').Select(line => line.Trim()).Where(line => line.Contains(" on ", StringComparison.Ordinal)).Distinct().Take(3));
}

/// <summary>
/// A statement that changed plan: the plan before and after, when the new one was first seen, and the statement's mean
/// time before (the hour up to the old plan's last sighting) and after (from then to an hour past the new plan's first).
/// </summary>
public sealed record PlanChange(long QueryId, string? Query, StatementPlan Before, StatementPlan After, double? MeanBeforeMs, double? MeanAfterMs, bool Regressed);

/// <summary>
/// Plans over time, as pganalyze and Datadog keep them: the plan-history job EXPLAINs the statements taking the most
/// time on each target (no ANALYZE: nothing runs; in a read-only transaction; the generic plan PostgreSQL would give the
/// prepared statement, so no parameter value is guessed) and stores each distinct plan once. A new plan of a statement
/// that had another is a plan change; with its mean up by <see cref="QueryOptions.RegressionPercent"/> it is a regression.
/// </summary>
public sealed class PlanHistory(QueryStatistics statistics, QueryExplain explain, NpgsqlDataSource portal, IOptions<QueryOptions> options, TimeProvider time)
{
    /// <summary>How many of a target's statements (by total time over the last hour) are explained per run.</summary>
    public const int TopStatements = 10;

    public static readonly TimeSpan Around = TimeSpan.FromHours(1);

    /// <summary>How many statements already in the plan history (seen in the last day) are explained again per run beside the top ones.</summary>
    public const int Followed = 20;

    /// <summary>
    /// EXPLAINs the target's top statements, and those whose plans it followed in the last day (a statement recorded by
    /// hand stays watched), and records their plans; how many were recorded, how many are new, and those refused.
    /// </summary>
    public async Task<(int Explained, int NewPlans, IReadOnlyList<string> Refused)> CaptureAsync(string target, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var top = await statistics.TopAsync(new TopQueriesRequest(target, now - Around, now, QuerySort.TotalTime, Limit: TopStatements), cancellationToken);
        var statements = top.Rows.Select(row => row.QueryId).ToList();
        await using (var connection = await portal.OpenConnectionAsync(cancellationToken))
        {
            statements.AddRange(await connection.QueryAsync<long>(new CommandDefinition("""
                SELECT query_id FROM query_plans WHERE target = @target AND last_seen > @since GROUP BY query_id ORDER BY max(last_seen) DESC LIMIT @limit
                """, new { target, since = now - TimeSpan.FromDays(1), limit = Followed }, cancellationToken: cancellationToken)));
        }
        var (explained, fresh, refused) = (0, 0, new List<string>());
        foreach (var queryId in statements.Distinct())
        {
            var (isNew, refusal) = await RecordAsync(target, queryId, cancellationToken);
            if (refusal is not null)
            {
                refused.Add($"{queryId}: {refusal}");
                continue;
            }
            explained++;
            fresh += isNew ? 1 : 0;
        }
        return (explained, fresh, refused);
    }

    /// <summary>EXPLAINs one statement now and records its plan (the statement page's "Record its plan now"); whether the plan is new, or why it was not explained.</summary>
    public async Task<(bool New, string? Refusal)> RecordAsync(string target, long queryId, CancellationToken cancellationToken = default)
    {
        if (await statistics.TextAsync(target, queryId, cancellationToken) is not { } query)
        {
            return (false, "the portal has not seen this statement on the target");
        }
        string? json, refusal;
        try
        {
            (json, refusal) = await explain.GenericPlanAsync(target, query, cancellationToken);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            // Asked for from the statement page's button: said there (an exception would end the page's circuit).
            return (false, QueryExplain.Unreachable(ex));
        }
        if (json is null)
        {
            return (false, refusal);
        }
        using var document = JsonDocument.Parse(json);
        var plan = document.RootElement[0].GetProperty("Plan");
        var shape = Shape(plan);
        var now = time.GetUtcNow();
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        return (await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            INSERT INTO query_plans (target, query_id, fingerprint, shape, total_cost, plan, first_seen, last_seen)
            VALUES (@target, @queryId, @fingerprint, @shape, @cost, @json, @now, @now)
            ON CONFLICT (target, query_id, fingerprint) DO UPDATE SET last_seen = excluded.last_seen, total_cost = excluded.total_cost
            RETURNING xmax = 0
            """, new { target, queryId, fingerprint = Fingerprint(shape), shape, cost = plan.GetProperty("Total Cost").GetDouble(), json, now },
            cancellationToken: cancellationToken)), null);
    }

    /// <summary>
    /// A plan's shape, one line a node, indented by depth: the node type, its join type or strategy, the relation and the
    /// index. Costs and row estimates are left out: they move with statistics without the plan changing.
    /// </summary>
    public static string Shape(JsonElement plan)
    {
        var lines = new List<string>();
        void Walk(JsonElement node, int depth)
        {
            string? Text(string name) => node.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            var line = new StringBuilder(new string(' ', depth * 2)).Append(Text("Node Type"));
            foreach (var detail in new[] { Text("Join Type"), Text("Strategy"), Text("Parent Relationship") is "InitPlan" or "SubPlan" ? Text("Parent Relationship") : null })
            {
                if (detail is not null)
                {
                    line.Append(' ').Append(detail);
                }
            }
            if (Text("Relation Name") is { } relation)
            {
                line.Append(" on ").Append(relation);
            }
            if (Text("Index Name") is { } index)
            {
                line.Append(" using ").Append(index);
            }
            lines.Add(line.ToString());
            if (node.TryGetProperty("Plans", out var children))
            {
                foreach (var child in children.EnumerateArray())
                {
                    Walk(child, depth + 1);
                }
            }
        }
        Walk(plan, 0);
        return string.Join('\n', lines);
    }

    public static string Fingerprint(string shape) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(shape)))[..16];

    /// <summary>Every plan a statement was given, oldest first.</summary>
    public async Task<IReadOnlyList<StatementPlan>> PlansAsync(string target, long queryId, CancellationToken cancellationToken = default)
    {
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<StatementPlan>(new CommandDefinition("""
            SELECT query_id AS "QueryId", fingerprint AS "Fingerprint", shape AS "Shape", total_cost AS "TotalCost", plan AS "Plan",
                   first_seen AS "FirstSeen", last_seen AS "LastSeen"
            FROM query_plans WHERE target = @target AND query_id = @queryId ORDER BY first_seen, fingerprint
            """, new { target, queryId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>The plan changes first seen in [from, to): each statement's new plan against the one it had before, with its mean time around the change.</summary>
    public async Task<IReadOnlyList<PlanChange>> ChangesAsync(string target, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var connection = await portal.OpenConnectionAsync(cancellationToken);
        var changed = (await connection.QueryAsync<long>(new CommandDefinition("""
            SELECT DISTINCT query_id FROM query_plans p
            WHERE target = @target AND first_seen >= @from AND first_seen < @to
              AND EXISTS (SELECT 1 FROM query_plans o WHERE o.target = p.target AND o.query_id = p.query_id AND o.first_seen < p.first_seen)
            """, new { target, from, to }, cancellationToken: cancellationToken))).AsList();
        var changes = new List<PlanChange>();
        foreach (var queryId in changed)
        {
            var plans = await PlansAsync(target, queryId, cancellationToken);
            foreach (var after in plans.Where(plan => plan.FirstSeen >= from && plan.FirstSeen < to))
            {
                if (plans.Where(plan => plan.FirstSeen < after.FirstSeen).MaxBy(plan => plan.LastSeen) is not { } before)
                {
                    continue;
                }
                var switched = before.LastSeen < after.FirstSeen ? before.LastSeen : after.FirstSeen;
                var filter = new StatementFilter(QueryId: queryId);
                static double? Mean(IReadOnlyList<QueryInterval> intervals) =>
                    intervals.Sum(interval => interval.Calls) is > 0 and var calls ? intervals.Sum(interval => interval.TimeMs) / calls : null;
                var meanBefore = Mean(await statistics.SeriesAsync(target, filter, switched - Around, switched, cancellationToken));
                var meanAfter = Mean(await statistics.SeriesAsync(target, filter, switched, after.FirstSeen + Around, cancellationToken));
                var regressed = meanBefore is > 0 && meanAfter is { } now && now >= meanBefore * (1 + options.Value.RegressionPercent / 100);
                changes.Add(new PlanChange(queryId, await statistics.TextAsync(target, queryId, cancellationToken), before, after, meanBefore, meanAfter, regressed));
            }
        }
        return changes.OrderByDescending(change => change.Regressed).ThenByDescending(change => change.After.FirstSeen).ToList();
    }

    /// <summary>"its plan changed on 2026-11-26 14:07 UTC: Seq Scan on orders (was Index Scan on orders using orders_customer)": the one wording of a plan change.</summary>
    public static string Describe(PlanChange change) =>
        $"its plan changed on {change.After.FirstSeen.UtcDateTime:yyyy-MM-dd HH:mm} UTC: {change.After.Summary} (was {change.Before.Summary})";

    /// <summary>What one plan has that the other has not, line by line of their shapes (a plan change in words).</summary>
    public static (IReadOnlyList<string> OnlyBefore, IReadOnlyList<string> OnlyAfter) Difference(StatementPlan before, StatementPlan after)
    {
        var (a, b) = (before.Shape.Split('\n').Select(line => line.Trim()).ToList(), after.Shape.Split('\n').Select(line => line.Trim()).ToList());
        return (a.Except(b).ToList(), b.Except(a).ToList());
    }
}
