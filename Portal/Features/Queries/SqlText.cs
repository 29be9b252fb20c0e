using System.Text;
using System.Text.RegularExpressions;

namespace Portal.Features.Queries;

/// <summary>Statements as pages show them: a line per clause, conditions indented; literals and quoted names untouched.</summary>
public static partial class SqlText
{
    /// <summary>A statement on one line, cut to at most <paramref name="length"/> characters (the cut marked "…").</summary>
    public static string OneLine(string sql, int length = 200)
    {
        var flat = string.Join(' ', sql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= length ? flat : flat[..(length - 1)] + "…";
    }

    public static string Pretty(string sql)
    {
        var builder = new StringBuilder();
        var depth = 0;
        var previous = "";
        foreach (Match token in Tokens().Matches(sql))
        {
            var text = token.Value;
            if (text.Length > 0 && char.IsWhiteSpace(text[0]))
            {
                if (builder.Length > 0 && builder[^1] != '\n')
                {
                    builder.Append(' ');
                }
                continue;
            }
            var upper = text.ToUpperInvariant();
            depth += text == "(" ? 1 : text == ")" ? -1 : 0;
            var joined = upper is "JOIN" or "OUTER" && previous is "LEFT" or "RIGHT" or "INNER" or "FULL" or "CROSS" or "OUTER" or "NATURAL";
            if (Clauses().IsMatch(upper) && !joined && builder.Length > 0)
            {
                TrimEnd(builder);
                builder.Append('\n').Append(' ', 2 * Math.Max(depth, 0));
            }
            else if (upper is "AND" or "OR" && builder.Length > 0)
            {
                TrimEnd(builder);
                builder.Append('\n').Append(' ', 2 * Math.Max(depth, 0) + 2);
            }
            builder.Append(text);
            previous = upper;
        }
        return builder.ToString().Trim();
    }

    private static void TrimEnd(StringBuilder builder)
    {
        while (builder.Length > 0 && builder[^1] == ' ')
        {
            builder.Length--;
        }
    }

    // Quoted strings and names, comments, words, whitespace runs, any other character.
    [GeneratedRegex(@"'(?:[^']|'')*'|""(?:[^""]|"""")*""|--[^\n]*|/\*.*?\*/|[A-Za-z_][A-Za-z_0-9$]*|\s+|.", RegexOptions.Singleline)]
    private static partial Regex Tokens();

    [GeneratedRegex(@"^(SELECT|FROM|WHERE|GROUP|ORDER|HAVING|LIMIT|OFFSET|UNION|INTERSECT|EXCEPT|VALUES|SET|RETURNING|INSERT|UPDATE|DELETE|WITH|JOIN|LEFT|RIGHT|INNER|FULL|CROSS|NATURAL|WINDOW)$")]
    private static partial Regex Clauses();
}
