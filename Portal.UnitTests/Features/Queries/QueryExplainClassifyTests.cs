using Portal.Features.Queries;

namespace Portal.UnitTests.Features.Queries;

/// <summary>How EXPLAIN classifies a statement before running anything (a pure function: no portal).</summary>
public sealed class QueryExplainClassifyTests
{
    [Theory]
    [InlineData("SELECT 1", StatementKind.Read)]
    [InlineData("  /* hint */ (SELECT 1)", StatementKind.Read)]
    [InlineData("WITH x AS (SELECT 1) SELECT * FROM x", StatementKind.Read)]
    [InlineData("WITH x AS (SELECT 'delete') SELECT * FROM x", StatementKind.Read)]
    [InlineData("WITH d AS (DELETE FROM accounts RETURNING *) SELECT count(*) FROM d", StatementKind.Write)]
    [InlineData("update accounts set balance = 0", StatementKind.Write)]
    [InlineData("DELETE FROM accounts", StatementKind.Write)]
    [InlineData("DROP TABLE accounts", StatementKind.Other)]
    [InlineData("CREATE INDEX ON accounts (balance)", StatementKind.Other)]
    [InlineData("VACUUM accounts", StatementKind.Other)]
    public void Classify_TheFirstKeywordAndDataModifyingParts(string sql, StatementKind kind) => Assert.Equal(kind, QueryExplain.Classify(sql));
}
