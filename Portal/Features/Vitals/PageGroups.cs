using System.Text.RegularExpressions;

namespace Portal.Features.Vitals;

/// <summary>
/// Which page a path belongs to, for an app that cannot send its route template (<c>data-route</c>): its own rules
/// first — a pattern whose <c>*</c> stands for one segment and a final <c>**</c> for the rest, and the template stored
/// for it (<c>/projects/*/wiki/** => /projects/:project/wiki</c>; without <c>=&gt;</c>, the pattern itself) — then, unless
/// the app turns it off, every numeric segment as <c>:id</c> and every hash-like one (a UUID, or 16+ hexadecimal or
/// base64url characters with a digit) as <c>:hash</c>. A route template comes through unchanged.
/// </summary>
public static partial class PageGroups
{
    public const int MaxRules = 100;

    public const int MaxRuleLength = 300;

    /// <summary>A rule's problem, for the form and the API (null when it is one).</summary>
    public static string? Problem(string rule)
    {
        if (rule.Length > MaxRuleLength)
        {
            return $"a rule of {rule.Length} characters: at most {MaxRuleLength}";
        }
        var (pattern, template) = Split(rule);
        if (!pattern.StartsWith('/') || !template.StartsWith('/'))
        {
            return $"“{rule}”: a pattern and its template are paths, starting with /";
        }
        var doubleStar = pattern.IndexOf("**", StringComparison.Ordinal);
        return doubleStar >= 0 && doubleStar != pattern.Length - 2 ? $"“{rule}”: ** stands for the rest of a path, so it ends the pattern" : null;
    }

    /// <summary>The page <paramref name="path"/> (no query string) is counted under, for <paramref name="app"/>.</summary>
    public static string PageOf(VitalsApp app, string path)
    {
        foreach (var rule in app.PageGroups)
        {
            var (pattern, template) = Split(rule);
            if (Matches(pattern, path))
            {
                return template;
            }
        }
        return app.CollapseIds ? Collapse(path) : path;
    }

    private static (string Pattern, string Template) Split(string rule)
    {
        var arrow = rule.IndexOf("=>", StringComparison.Ordinal);
        return arrow < 0 ? (rule.Trim(), rule.Trim()) : (rule[..arrow].Trim(), rule[(arrow + 2)..].Trim());
    }

    private static bool Matches(string pattern, string path)
    {
        var (wanted, given) = (pattern.TrimEnd('/').Split('/'), path.TrimEnd('/').Split('/'));
        for (var i = 0; i < wanted.Length; i++)
        {
            if (wanted[i] == "**")
            {
                return given.Length > i;
            }
            if (i >= given.Length || (wanted[i] != "*" && !string.Equals(wanted[i], given[i], StringComparison.Ordinal)) || (wanted[i] == "*" && given[i].Length == 0))
            {
                return false;
            }
        }
        return wanted.Length == given.Length;
    }

    private static string Collapse(string path) => string.Join('/', path.Split('/').Select(segment =>
        segment.Length == 0 ? segment
        : Numeric().IsMatch(segment) ? ":id"
        : Uuid().IsMatch(segment) || (segment.Length >= 16 && HashLike().IsMatch(segment) && segment.Any(char.IsAsciiDigit)) ? ":hash"
        : segment));

    [GeneratedRegex("^[0-9]+$")]
    private static partial Regex Numeric();

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex Uuid();

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex HashLike();
}
