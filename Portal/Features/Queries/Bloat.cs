using System.Collections.Concurrent;
using Dapper;
using Npgsql;

namespace Portal.Features.Queries;

/// <summary>
/// The catalogue estimate of bloat (the one check_postgres, PgHero's users and ioguix's queries use): the pages a
/// relation's live rows would need at its fill factor, from the planner's row count and the columns' average widths in
/// <c>pg_stats</c>, against the pages it has. Everything the estimate ignores (alignment padding between columns,
/// b-tree deduplication, internal pages) makes it a little high or low; it is a screen, and pgstattuple the measure.
/// </summary>
public static class BloatEstimate
{
    /// <summary>PageHeaderData.</summary>
    public const int PageHeader = 24;

    /// <summary>MAXALIGN on every 64-bit platform PostgreSQL runs on.</summary>
    public const int MaxAlign = 8;

    /// <summary>ItemIdData: the line pointer each tuple has on its page.</summary>
    public const int LinePointer = 4;

    /// <summary>HeapTupleHeaderData, before its null bitmap.</summary>
    public const int HeapTupleHeader = 23;

    /// <summary>IndexTupleData; a tuple with a null carries a 4-byte IndexAttributeBitMapData after it.</summary>
    public const int IndexTupleHeader = 8;

    /// <summary>BTPageOpaqueData at the end of every b-tree page.</summary>
    public const int BtreeOpaque = 16;

    /// <summary>The fill factor of a b-tree's leaf pages unless the index sets one.</summary>
    public const int BtreeDefaultFillFactor = 90;

    private static double Align(double bytes) => Math.Ceiling(bytes / MaxAlign) * MaxAlign;

    /// <summary>
    /// The pages a table's live rows need: each row a header (with a null bitmap when any column has nulls), its data
    /// and a line pointer, as many per page as fit in its fill factor; TOAST rows four to a page.
    /// </summary>
    public static double HeapPages(double rows, int columns, bool nullable, double dataWidth, int fillFactor, int blockSize, double toastRows = 0)
    {
        var tuple = Align(HeapTupleHeader + (nullable ? (columns + 7) / 8 : 0)) + Align(dataWidth) + LinePointer;
        var perPage = Math.Max(1, Math.Floor((blockSize - PageHeader) * fillFactor / 100.0 / tuple));
        return Math.Ceiling(Math.Max(rows, 0) / perPage) + Math.Ceiling(Math.Max(toastRows, 0) / 4);
    }

    /// <summary>The pages a b-tree's entries need: the meta page, then leaves filled to the fill factor.</summary>
    public static double BtreePages(double rows, bool nullable, double dataWidth, int fillFactor, int blockSize)
    {
        var tuple = Align(IndexTupleHeader + (nullable ? 4 : 0)) + Align(dataWidth) + LinePointer;
        var perPage = Math.Max(1, Math.Floor((blockSize - PageHeader - BtreeOpaque) * fillFactor / 100.0 / tuple));
        return 1 + Math.Ceiling(Math.Max(rows, 0) / perPage);
    }

    /// <summary>The bytes beyond what the estimate needs, never below zero (a relation smaller than estimated has none).</summary>
    public static double Wasted(double pages, double neededPages, int blockSize) => Math.Max(0, pages - neededPages) * blockSize;
}

public static class RelationKinds
{
    public const string Table = "table";
    public const string Index = "index";
}

/// <summary>A relation's bloat: its size, the bytes beyond what its live rows need, and how that was found.</summary>
public sealed record RelationBloat(string Kind, string Name, string? Table, double Bytes, double WastedBytes, string Method)
{
    /// <summary>From the planner's statistics (<see cref="BloatEstimate"/>).</summary>
    public const string Estimate = "estimate";

    /// <summary>Measured with pgstattuple (<c>pgstattuple_approx</c> for tables, <c>pgstatindex</c> for b-trees).</summary>
    public const string Pgstattuple = "pgstattuple";
}

/// <summary>What was found, and the relations neither the estimate nor pgstattuple could read with this role.</summary>
public sealed record BloatReading(IReadOnlyList<RelationBloat> Relations, IReadOnlyList<string> Unmeasured, bool PgstattupleInstalled);

/// <summary>
/// Bloat of a target's tables and b-tree indexes at least <see cref="RiskThresholdOptions.BloatMinimumMegabytes"/> large.
/// The estimate needs the columns' statistics, which <c>pg_stats</c> shows only for columns the role may SELECT; for the
/// rest, where the pgstattuple extension is installed (its functions are granted to pg_stat_scan_tables, a member of
/// pg_monitor), the relation is measured instead — a scan, so its result is kept <see cref="RiskThresholdOptions.BloatScanMinutes"/>.
/// </summary>
public sealed class BloatReader(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Target, long Oid), (DateTimeOffset At, RelationBloat Bloat)> scans = new();

    public async Task<BloatReading> ReadAsync(string target, NpgsqlConnection connection, NpgsqlTransaction transaction, RiskThresholdOptions options,
        CancellationToken cancellationToken)
    {
        var minimum = (long)(options.BloatMinimumMegabytes * 1024 * 1024);
        var blockSize = await connection.QuerySingleAsync<int>(new CommandDefinition("SELECT current_setting('block_size')::int", transaction: transaction, cancellationToken: cancellationToken));
        // The schema pgstattuple lives in (quoted by the server), when it is installed and this role may run it.
        var pgstattuple = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition("""
            WITH installed AS MATERIALIZED (
                SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgstattuple')
            SELECT quote_ident(nspname) FROM installed
            WHERE has_schema_privilege(nspname, 'USAGE')
              AND has_function_privilege(format('%I.pgstattuple_approx(regclass)', nspname), 'EXECUTE')
              AND has_function_privilege(format('%I.pgstatindex(regclass)', nspname), 'EXECUTE')
            """, transaction: transaction, cancellationToken: cancellationToken));

        var relations = new List<RelationBloat>();
        var unreadable = new List<(string Kind, long Oid, string Name, string? Table, double Bytes)>();

        foreach (var table in await connection.QueryAsync<TableRow>(new CommandDefinition($$"""
            SELECT c.oid::bigint AS "Oid", format('%I.%I', n.nspname, c.relname) AS "Name", c.reltuples::float8 AS "Rows",
                   c.relpages::float8 AS "Pages", coalesce(t.relpages, 0)::float8 AS "ToastPages", coalesce(t.reltuples, 0)::float8 AS "ToastRows",
                   {{FillFactor(100)}} AS "FillFactor",
                   {{ColumnStatistics}}
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
            LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname AND NOT s.inherited
            WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
              AND (c.relpages::bigint + coalesce(t.relpages, 0)) * current_setting('block_size')::bigint >= @minimum
            GROUP BY c.oid, n.nspname, c.relname, c.reltuples, c.relpages, t.relpages, t.reltuples, c.reloptions
            """, new { minimum }, transaction, cancellationToken: cancellationToken)))
        {
            var pages = table.Pages + table.ToastPages;
            // Never analysed (reltuples -1) or a column without statistics: the estimate would invent the missing width.
            if (table.Rows < 0 || table.ColumnsWithStatistics < table.Columns)
            {
                unreadable.Add((RelationKinds.Table, table.Oid, table.Name, null, pages * blockSize));
                continue;
            }
            var needed = BloatEstimate.HeapPages(table.Rows, table.Columns, table.Nullable, table.DataWidth, table.FillFactor, blockSize, table.ToastRows);
            relations.Add(new RelationBloat(RelationKinds.Table, table.Name, null, pages * blockSize, BloatEstimate.Wasted(pages, needed, blockSize), RelationBloat.Estimate));
        }

        // An index column's statistics are its table column's, or for an expression, the index's own.
        foreach (var index in await connection.QueryAsync<IndexRow>(new CommandDefinition($$"""
            SELECT c.oid::bigint AS "Oid", format('%I.%I', n.nspname, c.relname) AS "Name", format('%I.%I', n.nspname, t.relname) AS "Table",
                   c.reltuples::float8 AS "Rows", c.relpages::float8 AS "Pages",
                   {{FillFactor(BloatEstimate.BtreeDefaultFillFactor)}} AS "FillFactor",
                   {{ColumnStatistics}}
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_am am ON am.oid = c.relam AND am.amname = 'btree'
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
            LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND NOT s.inherited
                 AND ((s.tablename = t.relname AND s.attname = pg_get_indexdef(c.oid, a.attnum, true))
                   OR (s.tablename = c.relname AND s.attname = a.attname))
            WHERE i.indisvalid AND t.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
              AND c.relpages::bigint * current_setting('block_size')::bigint >= @minimum
            GROUP BY c.oid, n.nspname, c.relname, t.relname, c.reltuples, c.relpages, c.reloptions
            """, new { minimum }, transaction, cancellationToken: cancellationToken)))
        {
            if (index.Rows < 0 || index.ColumnsWithStatistics < index.Columns)
            {
                unreadable.Add((RelationKinds.Index, index.Oid, index.Name, index.Table, index.Pages * blockSize));
                continue;
            }
            var needed = BloatEstimate.BtreePages(index.Rows, index.Nullable, index.DataWidth, index.FillFactor, blockSize);
            relations.Add(new RelationBloat(RelationKinds.Index, index.Name, index.Table, index.Pages * blockSize,
                BloatEstimate.Wasted(index.Pages, needed, blockSize), RelationBloat.Estimate));
        }

        if (pgstattuple is null)
        {
            return new BloatReading(relations, unreadable.Select(relation => relation.Name).ToList(), false);
        }
        var now = time.GetUtcNow();
        var unmeasured = new List<string>();
        foreach (var relation in unreadable)
        {
            if (!scans.TryGetValue((target, relation.Oid), out var kept) || now - kept.At > TimeSpan.FromMinutes(options.BloatScanMinutes))
            {
                // A relation too large to scan within the target's statement timeout is named, not the whole read lost.
                await transaction.SaveAsync("bloat_scan", cancellationToken);
                try
                {
                    kept = (now, await MeasureAsync(connection, transaction, pgstattuple, relation, cancellationToken));
                    await transaction.ReleaseAsync("bloat_scan", cancellationToken);
                }
                catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.UndefinedTable)
                {
                    await transaction.RollbackAsync("bloat_scan", cancellationToken);
                    unmeasured.Add(relation.Name);
                    continue;
                }
                scans[(target, relation.Oid)] = kept;
            }
            relations.Add(kept.Bloat);
        }
        return new BloatReading(relations, unmeasured, true);
    }

    /// <summary>
    /// pgstattuple's measure, as bytes beyond the fill factor: a table's free space and dead rows less the free space its
    /// fill factor keeps on purpose; an index's leaf pages below the fill factor's density.
    /// </summary>
    private static async Task<RelationBloat> MeasureAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema,
        (string Kind, long Oid, string Name, string? Table, double Bytes) relation, CancellationToken cancellationToken)
    {
        if (relation.Kind == RelationKinds.Table)
        {
            var table = await connection.QuerySingleAsync<(double Length, double Free, double Dead, int FillFactor)>(new CommandDefinition($"""
                SELECT s.table_len::float8, s.approx_free_space::float8, s.dead_tuple_len::float8,
                       {FillFactor(100)}
                FROM {schema}.pgstattuple_approx(@Oid::bigint::oid::regclass) s, pg_class c WHERE c.oid = @Oid::bigint::oid
                """, new { relation.Oid }, transaction, cancellationToken: cancellationToken));
            return new RelationBloat(relation.Kind, relation.Name, null, table.Length,
                Math.Max(0, table.Free + table.Dead - table.Length * (100 - table.FillFactor) / 100), RelationBloat.Pgstattuple);
        }
        var index = await connection.QuerySingleAsync<(double Size, double LeafDensity, int FillFactor)>(new CommandDefinition($"""
            SELECT s.index_size::float8, s.avg_leaf_density::float8,
                   {FillFactor(BloatEstimate.BtreeDefaultFillFactor)}
            FROM {schema}.pgstatindex(@Oid::bigint::oid::regclass) s, pg_class c WHERE c.oid = @Oid::bigint::oid
            """, new { relation.Oid }, transaction, cancellationToken: cancellationToken));
        // An empty index reports a density of NaN.
        var density = double.IsNaN(index.LeafDensity) ? index.FillFactor : index.LeafDensity;
        return new RelationBloat(relation.Kind, relation.Name, relation.Table, index.Size, Math.Max(0, index.Size * (1 - density / index.FillFactor)), RelationBloat.Pgstattuple);
    }

    /// <summary>A relation's columns (count, with statistics readable by this role, any null, their mean width), of <c>pg_attribute a</c> joined to <c>pg_stats s</c>.</summary>
    private const string ColumnStatistics = """
        count(*)::int AS "Columns", count(s.attname)::int AS "ColumnsWithStatistics",
                           coalesce(max(s.null_frac), 0) > 0 AS "Nullable", coalesce(sum((1 - s.null_frac) * s.avg_width), 0)::float8 AS "DataWidth"
        """;

    /// <summary>Relation <c>c</c>'s fill factor, or the default of its kind.</summary>
    private static string FillFactor(int fallback) =>
        $"coalesce((SELECT option_value::int FROM pg_options_to_table(c.reloptions) WHERE option_name = 'fillfactor'), {fallback})";

    private sealed record TableRow(long Oid, string Name, double Rows, double Pages, double ToastPages, double ToastRows, int FillFactor,
        int Columns, int ColumnsWithStatistics, bool Nullable, double DataWidth);

    private sealed record IndexRow(long Oid, string Name, string Table, double Rows, double Pages, int FillFactor,
        int Columns, int ColumnsWithStatistics, bool Nullable, double DataWidth);
}
