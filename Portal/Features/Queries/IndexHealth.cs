using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Portal.Features.Queries;

/// <summary>A large table whose sequential scans read more rows than its indexes fetch, and the columns its statements filter on most.</summary>
public sealed record MissingIndexSuspect(string Table, long Rows, long SequentialScans, long SequentialRowsRead, long IndexScans, IReadOnlyList<string> FilteredColumns);

/// <summary>An index, its size and what is wrong with it.</summary>
public sealed record IndexFinding(string Table, string Index, long Bytes, string Definition, string Reason);

/// <summary>A foreign key whose columns lead no index: deletes and updates of the referenced rows scan this table.</summary>
public sealed record UnindexedForeignKey(string Table, string Constraint, IReadOnlyList<string> Columns, string References, string Suggestion);

/// <summary>A table's upkeep: dead rows, and when autovacuum and autoanalyze last came by.</summary>
public sealed record TableUpkeep(string Table, long LiveRows, long DeadRows, long ModifiedSinceAnalyze, DateTimeOffset? LastVacuum, DateTimeOffset? LastAnalyze)
{
    public double DeadShare => LiveRows + DeadRows == 0 ? 0 : (double)DeadRows / (LiveRows + DeadRows);
}

public sealed record RelationSize(string Name, string Kind, long Bytes, long? Rows);

/// <summary>A VACUUM running now (pg_stat_progress_vacuum): where, which phase, how far through the table's blocks, since when.</summary>
public sealed record RunningVacuum(int Pid, string Database, string Table, bool Autovacuum, string Phase, long HeapBlocks, long BlocksScanned, long BlocksVacuumed,
    long IndexPasses, double RunningSeconds)
{
    /// <summary>The share of the table's blocks scanned (the phase that takes longest on a large table).</summary>
    public double Scanned => HeapBlocks == 0 ? 0 : (double)BlocksScanned / HeapBlocks;
}

/// <summary>Everything the Indexes &amp; tables page says about the target's database.</summary>
public sealed record IndexHealthReport(
    IReadOnlyList<MissingIndexSuspect> MissingIndexes, IReadOnlyList<IndexFinding> UnusedIndexes, IReadOnlyList<IndexFinding> DuplicateIndexes,
    IReadOnlyList<IndexFinding> InvalidIndexes, IReadOnlyList<UnindexedForeignKey> UnindexedForeignKeys, IReadOnlyList<TableUpkeep> NeedsVacuum,
    IReadOnlyList<RelationSize> Largest, DateTimeOffset? StatisticsSince)
{
    /// <summary>When unused indexes will be listed, while the statistics are younger than <see cref="QueryOptions.UnusedIndexMinStatisticsDays"/>; null once they are.</summary>
    public DateTimeOffset? UnusedIndexesFrom { get; init; }

    /// <summary>The vacuums (and autovacuums) running on the server when the report was read.</summary>
    public IReadOnlyList<RunningVacuum> RunningVacuums { get; init; } = [];
}

/// <summary>Index and table advice from the target's pg_stat_* views and catalogs, read-only.</summary>
public sealed partial class IndexHealth(QueryTargets targets, NpgsqlDataSource portal, IOptions<QueryOptions> options, TimeProvider time)
{
    /// <summary>A table needs a vacuum when this share of its rows are dead (autovacuum's default scale factor is 0.2).</summary>
    public const double DeadShareThreshold = 0.1;

    /// <summary>Below this many sequential scans a table is not a suspect: building each index counts as one.</summary>
    public const int MinSequentialScans = 10;

    public async Task<IndexHealthReport> ReadAsync(string target, CancellationToken cancellationToken = default)
    {
        await using var connection = await targets.OpenAsync(target, cancellationToken);
        var largeTable = options.Value.LargeTableRows;

        var suspects = (await connection.QueryAsync<SuspectRow>(new CommandDefinition("""
            SELECT format('%I.%I', schemaname, relname) AS "Table", relname AS "Name", n_live_tup AS "Rows",
                   seq_scan AS "SequentialScans", seq_tup_read AS "SequentialRowsRead", coalesce(idx_scan, 0) AS "IndexScans"
            FROM pg_stat_user_tables
            WHERE n_live_tup >= @largeTable AND seq_scan >= @MinSequentialScans AND seq_tup_read > coalesce(idx_tup_fetch, 0)
            ORDER BY seq_tup_read DESC
            LIMIT 50
            """, new { largeTable, MinSequentialScans }, cancellationToken: cancellationToken))).AsList();
        var filtered = await FilteredColumnsAsync(target, connection, suspects, cancellationToken);

        var indexes = (await connection.QueryAsync<IndexRow>(new CommandDefinition("""
            SELECT format('%I.%I', n.nspname, t.relname) AS "Table", format('%I.%I', n.nspname, c.relname) AS "Index",
                   pg_relation_size(c.oid) AS "Bytes", pg_get_indexdef(c.oid) AS "Definition",
                   i.indisunique AS "Unique", i.indisprimary AS "Primary", i.indisvalid AS "Valid",
                   i.indkey::int2[] AS "Columns", coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS "Expressions",
                   coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS "Predicate", am.amname AS "Method",
                   coalesce(s.idx_scan, 0) AS "Scans",
                   EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid) AS "BacksConstraint"
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            JOIN pg_am am ON am.oid = c.relam
            LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = c.oid
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            """, cancellationToken: cancellationToken))).AsList();

        var unused = indexes
            .Where(index => index is { Scans: 0, Unique: false, Primary: false, BacksConstraint: false, Valid: true })
            .OrderByDescending(index => index.Bytes)
            .Select(index => index.Finding("never scanned since the statistics were reset; it costs every write and its disk space"))
            .ToList();
        var invalid = indexes.Where(index => !index.Valid)
            .Select(index => index.Finding("invalid (a failed CREATE INDEX CONCURRENTLY): unused by queries, still maintained; drop and re-create it"))
            .ToList();

        var foreignKeys = (await connection.QueryAsync<ForeignKeyRow>(new CommandDefinition("""
            SELECT format('%I.%I', n.nspname, t.relname) AS "Table", k.conname AS "Constraint", k.conkey::int2[] AS "Columns",
                   ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(attnum, position)
                         JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.position) AS "ColumnNames",
                   k.confrelid::regclass::text AS "References"
            FROM pg_constraint k
            JOIN pg_class t ON t.oid = k.conrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE k.contype = 'f'
            """, cancellationToken: cancellationToken))).AsList();
        var unindexed = foreignKeys
            .Where(key => !indexes.Any(index => index.Table == key.Table && index.Valid && index.Leads(key.Columns)))
            .Select(key => new UnindexedForeignKey(key.Table, key.Constraint, key.ColumnNames, key.References,
                $"CREATE INDEX CONCURRENTLY ON {key.Table} ({string.Join(", ", key.ColumnNames.Select(Quote))});"))
            .ToList();

        var upkeep = (await connection.QueryAsync<TableUpkeep>(new CommandDefinition("""
            SELECT format('%I.%I', schemaname, relname) AS "Table", n_live_tup AS "LiveRows", n_dead_tup AS "DeadRows",
                   n_mod_since_analyze AS "ModifiedSinceAnalyze",
                   greatest(last_vacuum, last_autovacuum) AS "LastVacuum", greatest(last_analyze, last_autoanalyze) AS "LastAnalyze"
            FROM pg_stat_user_tables
            WHERE n_dead_tup >= 1000 AND n_dead_tup >= @share * (n_live_tup + n_dead_tup)
               OR n_mod_since_analyze >= 1000 AND n_mod_since_analyze >= 0.2 * greatest(n_live_tup, 1)
            ORDER BY n_dead_tup DESC
            LIMIT 50
            """, new { share = DeadShareThreshold }, cancellationToken: cancellationToken))).AsList();

        var largest = (await connection.QueryAsync<RelationSize>(new CommandDefinition("""
            SELECT format('%I.%I', n.nspname, c.relname) AS "Name", CASE c.relkind WHEN 'i' THEN 'index' ELSE 'table' END AS "Kind",
                   CASE c.relkind WHEN 'i' THEN pg_relation_size(c.oid) ELSE pg_total_relation_size(c.oid) END AS "Bytes",
                   CASE c.relkind WHEN 'i' THEN NULL ELSE greatest(c.reltuples, 0)::bigint END AS "Rows"
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'm', 'i') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            ORDER BY 3 DESC
            LIMIT 20
            """, cancellationToken: cancellationToken))).AsList();

        // Counted since the last reset, or (never reset) at least since the server started.
        var since = await connection.QuerySingleAsync<DateTimeOffset?>(new CommandDefinition(
            "SELECT coalesce(stats_reset, pg_postmaster_start_time()) FROM pg_stat_database WHERE datname = current_database()", cancellationToken: cancellationToken));
        var adviceFrom = since + TimeSpan.FromDays(options.Value.UnusedIndexMinStatisticsDays);
        var tooYoung = adviceFrom > time.GetUtcNow();

        // Vacuums running now on the whole server: a table in another database is named by its oid (its catalog is not this one's).
        var vacuums = (await connection.QueryAsync<RunningVacuum>(new CommandDefinition("""
            SELECT p.pid AS "Pid", coalesce(p.datname, '') AS "Database",
                   CASE WHEN p.datname = current_database() THEN p.relid::regclass::text ELSE 'oid ' || p.relid END AS "Table",
                   coalesce(a.query LIKE 'autovacuum:%', false) AS "Autovacuum", p.phase AS "Phase", p.heap_blks_total AS "HeapBlocks",
                   p.heap_blks_scanned AS "BlocksScanned", p.heap_blks_vacuumed AS "BlocksVacuumed", p.index_vacuum_count AS "IndexPasses",
                   coalesce(extract(epoch FROM now() - a.xact_start), 0)::float8 AS "RunningSeconds"
            FROM pg_stat_progress_vacuum p LEFT JOIN pg_stat_activity a ON a.pid = p.pid
            ORDER BY "RunningSeconds" DESC
            """, cancellationToken: cancellationToken))).AsList();

        return new IndexHealthReport(
            suspects.Select(row => new MissingIndexSuspect(row.Table, row.Rows, row.SequentialScans, row.SequentialRowsRead, row.IndexScans, filtered.GetValueOrDefault(row.Name, []))).ToList(),
            tooYoung ? [] : unused, Duplicates(indexes), invalid, unindexed, upkeep, largest, since)
        {
            UnusedIndexesFrom = tooYoung ? adviceFrom : null,
            RunningVacuums = vacuums,
        };
    }

    /// <summary>
    /// Exact duplicates (same table, method, columns, expressions and predicate) and redundant indexes (their columns
    /// lead another index of the table): the first of each pair can go, unless it is the one enforcing uniqueness.
    /// </summary>
    private static List<IndexFinding> Duplicates(IReadOnlyList<IndexRow> indexes)
    {
        var findings = new List<IndexFinding>();
        foreach (var index in indexes.Where(index => index.Valid && index.Expressions == "" && index.Predicate == "").OrderBy(index => index.Index, StringComparer.Ordinal))
        {
            var covering = indexes
                .Where(other => other.Index != index.Index && other.Table == index.Table && other.Valid && other.Method == index.Method && other.Expressions == "" && other.Predicate == "")
                .Where(other => other.Leads(index.Columns))
                .OrderBy(other => other.Columns.Length).ThenBy(other => other.Index, StringComparer.Ordinal)
                .FirstOrDefault();
            if (covering is null || index.Unique || index.Primary)
            {
                continue;
            }
            var exact = covering.Columns.SequenceEqual(index.Columns);
            if (exact && findings.Any(finding => finding.Index == covering.Index))
            {
                continue; // the pair is already listed, from its other side
            }
            findings.Add(index.Finding(exact ? $"duplicate of {covering.Index}" : $"redundant: its columns lead {covering.Index}"));
        }
        return findings;
    }

    // The columns the target's statements filter the suspect tables on, from the texts the snapshots keep, weighted by calls.
    private async Task<Dictionary<string, IReadOnlyList<string>>> FilteredColumnsAsync(
        string target, NpgsqlConnection connection, IReadOnlyList<SuspectRow> suspects, CancellationToken cancellationToken)
    {
        if (suspects.Count == 0)
        {
            return [];
        }
        var names = suspects.Select(suspect => suspect.Name).ToArray();
        var columns = (await connection.QueryAsync<(string Table, string Column)>(new CommandDefinition("""
            SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relname = ANY(@names) AND a.attnum > 0 AND NOT a.attisdropped
            """, new { names }, cancellationToken: cancellationToken))).ToLookup(row => row.Table, row => row.Column);

        await using var connectionToPortal = await portal.OpenConnectionAsync(cancellationToken);
        var statements = await connectionToPortal.QueryAsync<(string Query, double Calls)>(new CommandDefinition("""
            SELECT query, running[1] FROM query_statements
            WHERE target = @target AND database_name = @database AND query ~* ANY(@patterns)
            ORDER BY running[1] DESC LIMIT 2000
            """, new { target, database = connection.Database, patterns = names.Select(name => $"\\m(from|join)\\s+(\\w+\\.)?\"?{Regex.Escape(name)}\"?\\M").ToArray() }, cancellationToken: cancellationToken));

        return suspects.ToDictionary(suspect => suspect.Name, suspect =>
        {
            var known = columns[suspect.Name].ToHashSet(StringComparer.Ordinal);
            return (IReadOnlyList<string>)statements
                .Where(statement => Regex.IsMatch(statement.Query, $@"\b(from|join)\s+(\w+\.)?""?{Regex.Escape(suspect.Name)}""?\b", RegexOptions.IgnoreCase))
                .SelectMany(statement => Filters().Matches(statement.Query).Select(match => (Column: match.Groups[1].Value.ToLowerInvariant(), statement.Calls)))
                .Where(filter => known.Contains(filter.Column))
                .GroupBy(filter => filter.Column)
                .OrderByDescending(group => group.Sum(filter => filter.Calls))
                .Select(group => group.Key)
                .Take(3)
                .ToList();
        });
    }

    private static string Quote(string identifier) => Regex.IsMatch(identifier, "^[a-z_][a-z0-9_]*$") ? identifier : $"\"{identifier.Replace("\"", "\"\"")}\"";

    // "WHERE x = $1", "AND t.y IN (…)", "OR z > $2": the column a condition tests.
    [GeneratedRegex(@"\b(?:where|and|or)\s+(?:\w+\.)?""?(\w+)""?\s*(?:=|<|>|!=|<>|\bin\b|\blike\b|\bilike\b|\bbetween\b|\bis\b|@>|&&)", RegexOptions.IgnoreCase)]
    private static partial Regex Filters();

    private sealed class SuspectRow
    {
        public string Table { get; init; } = "";
        public string Name { get; init; } = "";
        public long Rows { get; init; }
        public long SequentialScans { get; init; }
        public long SequentialRowsRead { get; init; }
        public long IndexScans { get; init; }
    }

    private sealed class IndexRow
    {
        public string Table { get; init; } = "";
        public string Index { get; init; } = "";
        public long Bytes { get; init; }
        public string Definition { get; init; } = "";
        public bool Unique { get; init; }
        public bool Primary { get; init; }
        public bool Valid { get; init; }
        public short[] Columns { get; init; } = [];
        public string Expressions { get; init; } = "";
        public string Predicate { get; init; } = "";
        public string Method { get; init; } = "";
        public long Scans { get; init; }
        public bool BacksConstraint { get; init; }

        /// <summary>Whether <paramref name="columns"/> are this index's leading columns (expression columns are 0 in indkey).</summary>
        public bool Leads(short[] columns) => columns.Length <= Columns.Length && !columns.Contains((short)0) && Columns.Take(columns.Length).SequenceEqual(columns);

        public IndexFinding Finding(string reason) => new(Table, Index, Bytes, Definition, reason);
    }

    private sealed class ForeignKeyRow
    {
        public string Table { get; init; } = "";
        public string Constraint { get; init; } = "";
        public short[] Columns { get; init; } = [];
        public string[] ColumnNames { get; init; } = [];
        public string References { get; init; } = "";
    }
}
