using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Portal.Features.Queries;

/// <summary>What a statement does, as far as EXPLAIN is concerned.</summary>
public enum StatementKind
{
    /// <summary>SELECT, VALUES, TABLE, or WITH without a data-modifying part: EXPLAIN, and EXPLAIN ANALYZE on request.</summary>
    Read,

    /// <summary>INSERT, UPDATE, DELETE, MERGE (or a WITH holding one): planned only, never run.</summary>
    Write,

    /// <summary>DDL and utility statements: refused.</summary>
    Other,
}

/// <summary>A node of a plan, with what the target knows of its table.</summary>
public sealed record PlanNode(
    string NodeType, string? Relation, string? Index, double StartupCost, double TotalCost, double PlanRows,
    double? ActualRows, double? ActualTotalMs, long? Loops, string? Condition, bool LargeSequentialScan, double? TableRows, IReadOnlyList<PlanNode> Children);

/// <summary>An EXPLAIN's answer: the plan, or why it was refused or failed.</summary>
public sealed record ExplainResult(PlanNode? Plan, double? PlanningMs, double? ExecutionMs, bool Analyzed, string? Json, string? Refusal)
{
    public static ExplainResult Refused(string reason) => new(null, null, null, false, null, reason);
}

/// <summary>
/// EXPLAIN on a target, always in a read-only transaction that is rolled back. Parameter values are bound, never
/// spliced into the text; EXPLAIN ANALYZE runs only reads, with its own time-out.
/// </summary>
public sealed partial class QueryExplain(QueryTargets targets, IOptions<QueryOptions> options)
{
    public static StatementKind Classify(string query)
    {
        var text = Comments().Replace(query, " ").TrimStart(' ', '\t', '\r', '\n', '(').ToLowerInvariant();
        var first = FirstWord().Match(text).Value;
        return first switch
        {
            "select" or "values" or "table" => StatementKind.Read,
            "with" => DataModifying().IsMatch(Literals().Replace(text, "''")) ? StatementKind.Write : StatementKind.Read,
            "insert" or "update" or "delete" or "merge" => StatementKind.Write,
            _ => StatementKind.Other,
        };
    }

    /// <summary>The <c>$n</c> parameters of a statement, typed by the target (PREPARE, then pg_prepared_statements).</summary>
    public async Task<(IReadOnlyList<string> Types, string? Refusal)> ParametersAsync(string target, string query, CancellationToken cancellationToken = default)
    {
        if (Classify(query) == StatementKind.Other)
        {
            return ([], NotExplainable);
        }
        try
        {
            return await PrepareOnTargetAsync(target, query, cancellationToken);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            // Asked for while the statement page loads: its history (the portal's own) shows all the same.
            return ([], Unreachable(ex));
        }
    }

    private async Task<(IReadOnlyList<string> Types, string? Refusal)> PrepareOnTargetAsync(string target, string query, CancellationToken cancellationToken)
    {
        await using var connection = await targets.OpenAsync(target, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition($"PREPARE portal_explain AS {query}", transaction: transaction, cancellationToken: cancellationToken));
            var types = await connection.QuerySingleAsync<string[]>(new CommandDefinition(
                "SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = 'portal_explain'", transaction: transaction, cancellationToken: cancellationToken));
            return (types, null);
        }
        catch (PostgresException ex)
        {
            return ([], PrivilegeRefusal(target, ex) ?? $"The target cannot prepare this statement: {ex.MessageText}");
        }
        finally
        {
            await transaction.RollbackAsync(CancellationToken.None);
            await connection.ExecuteAsync("DEALLOCATE ALL"); // PREPARE is not undone by a rollback
        }
    }

    public async Task<ExplainResult> ExplainAsync(string target, string query, IReadOnlyList<string?> values, bool analyze, CancellationToken cancellationToken = default)
    {
        var kind = Classify(query);
        if (kind == StatementKind.Other)
        {
            return ExplainResult.Refused(NotExplainable);
        }
        if (analyze && kind != StatementKind.Read)
        {
            return ExplainResult.Refused("EXPLAIN ANALYZE runs the statement, so only reads (SELECT) may be analyzed; this one writes. Its plan is available without ANALYZE.");
        }
        try
        {
            return await ExplainOnTargetAsync(target, query, values, analyze, cancellationToken);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            // The target did not answer (down, unreachable, its connections all busy): said on the page, whose circuit
            // an exception from its button would end.
            return ExplainResult.Refused(Unreachable(ex));
        }
    }

    /// <summary>Why a plan could not be had from a target that did not answer (no connection string, no password in it).</summary>
    public static string Unreachable(NpgsqlException ex) => $"The target could not be reached: {ex.Message}";

    private async Task<ExplainResult> ExplainOnTargetAsync(string target, string query, IReadOnlyList<string?> values, bool analyze, CancellationToken cancellationToken)
    {
        await using var connection = await targets.OpenAsync(target, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("SET TRANSACTION READ ONLY", transaction: transaction, cancellationToken: cancellationToken));
            if (analyze)
            {
                await connection.ExecuteAsync(new CommandDefinition($"SET LOCAL statement_timeout = {options.Value.ExplainAnalyzeTimeoutMs}",
                    transaction: transaction, cancellationToken: cancellationToken));
            }
            await using var command = new NpgsqlCommand($"EXPLAIN (FORMAT JSON, SUMMARY{(analyze ? ", ANALYZE, BUFFERS" : "")}) {query}", connection, transaction);
            foreach (var value in values)
            {
                // Unknown: sent as text, typed by the server from the statement, as if it were a literal.
                command.Parameters.Add(new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Unknown });
            }
            var json = (string)(await command.ExecuteScalarAsync(cancellationToken))!;
            var tableRows = await TableRowsAsync(connection, transaction, json, cancellationToken);
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement[0];
            return new ExplainResult(Node(root.GetProperty("Plan"), tableRows), Number(root, "Planning Time"), Number(root, "Execution Time"), analyze, json, null);
        }
        catch (PostgresException ex) when (PrivilegeRefusal(target, ex) is { } refusal)
        {
            return ExplainResult.Refused(refusal);
        }
        catch (PostgresException ex)
        {
            return ExplainResult.Refused(ex.SqlState == PostgresErrorCodes.QueryCanceled
                ? $"Stopped after {(analyze ? options.Value.ExplainAnalyzeTimeoutMs : options.Value.StatementTimeoutMs):N0} ms (the time-out): {ex.MessageText}"
                : $"The target refused it: {ex.MessageText}");
        }
        finally
        {
            await transaction.RollbackAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// The generic plan of a statement as JSON (EXPLAIN without ANALYZE of the statement prepared with every parameter
    /// NULL under <c>plan_cache_mode = force_generic_plan</c>: the plan that does not depend on the values), in a read-only
    /// transaction that is rolled back; or why not.
    /// </summary>
    public async Task<(string? Json, string? Refusal)> GenericPlanAsync(string target, string query, CancellationToken cancellationToken = default)
    {
        if (Classify(query) == StatementKind.Other)
        {
            return (null, NotExplainable);
        }
        await using var connection = await targets.OpenAsync(target, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            // One round trip (a batch) to prepare it read-only and generic, and read the types its parameters were given.
            var types = await connection.QuerySingleAsync<string[]>(new CommandDefinition($"""
                SET TRANSACTION READ ONLY;
                SET LOCAL plan_cache_mode = force_generic_plan;
                PREPARE portal_plan AS {query};
                SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = 'portal_plan'
                """, transaction: transaction, cancellationToken: cancellationToken));
            var arguments = types.Length == 0 ? "" : $"({string.Join(", ", types.Select(type => $"NULL::{type}"))})";
            return (await connection.QuerySingleAsync<string>(new CommandDefinition($"EXPLAIN (FORMAT JSON) EXECUTE portal_plan{arguments}",
                transaction: transaction, cancellationToken: cancellationToken)), null);
        }
        catch (PostgresException ex)
        {
            return (null, PrivilegeRefusal(target, ex) ?? $"The target cannot plan this statement: {ex.MessageText}");
        }
        finally
        {
            await transaction.RollbackAsync(CancellationToken.None);
            await connection.ExecuteAsync("DEALLOCATE ALL"); // PREPARE is not undone by a rollback
        }
    }

    // The documented monitoring role reads statistics, not tables: say which grant EXPLAIN needs, not only that it failed.
    private string? PrivilegeRefusal(string target, PostgresException ex) =>
        ex.SqlState == PostgresErrorCodes.InsufficientPrivilege && targets.Find(target) is { } known
            ? $"The target's role {known.Username} may not read this statement's tables ({ex.MessageText}). EXPLAIN needs them; as a superuser: {TargetCheck.ExplainGrant(known.Username)}"
            : null;

    public const string NotExplainable =
        "Only SELECT, INSERT, UPDATE, DELETE and MERGE statements can be explained; this is DDL or a utility statement.";

    // The row counts the planner has for every table the plan scans, to tell a sequential scan of a large table.
    private static async Task<Dictionary<string, double>> TableRowsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string json, CancellationToken cancellationToken)
    {
        var names = RelationNames().Matches(json).Select(match => match.Groups[1].Value).Distinct().ToArray();
        var rows = await connection.QueryAsync<(string Name, double Rows)>(new CommandDefinition(
            "SELECT relname, max(reltuples)::float8 FROM pg_class WHERE relname = ANY(@names) AND relkind IN ('r', 'p', 'm') GROUP BY relname",
            new { names }, transaction, cancellationToken: cancellationToken));
        return rows.ToDictionary(row => row.Name, row => row.Rows);
    }

    private PlanNode Node(JsonElement plan, IReadOnlyDictionary<string, double> tableRows)
    {
        var type = plan.GetProperty("Node Type").GetString()!;
        var relation = Text(plan, "Relation Name");
        double? rows = relation is not null && tableRows.TryGetValue(relation, out var count) ? count : null;
        var children = plan.TryGetProperty("Plans", out var plans) ? plans.EnumerateArray().Select(child => Node(child, tableRows)).ToList() : [];
        return new PlanNode(type, relation, Text(plan, "Index Name"), Number(plan, "Startup Cost") ?? 0, Number(plan, "Total Cost") ?? 0, Number(plan, "Plan Rows") ?? 0,
            Number(plan, "Actual Rows"), Number(plan, "Actual Total Time"), (long?)Number(plan, "Actual Loops"),
            Text(plan, "Index Cond") ?? Text(plan, "Filter") ?? Text(plan, "Hash Cond") ?? Text(plan, "Join Filter"),
            type == "Seq Scan" && rows >= options.Value.LargeTableRows, rows, children);
    }

    private static string? Text(JsonElement element, string name) => element.TryGetProperty(name, out var value) ? value.GetString() : null;

    private static double? Number(JsonElement element, string name) => element.TryGetProperty(name, out var value) ? value.GetDouble() : null;

    [GeneratedRegex(@"--[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comments();

    [GeneratedRegex(@"^[a-z]+")]
    private static partial Regex FirstWord();

    [GeneratedRegex(@"'(?:[^']|'')*'")]
    private static partial Regex Literals();

    [GeneratedRegex(@"\b(insert|update|delete|merge)\b")]
    private static partial Regex DataModifying();

    [GeneratedRegex("\"Relation Name\": \"([^\"]+)\"")]
    private static partial Regex RelationNames();
}
