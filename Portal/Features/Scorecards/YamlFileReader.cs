using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Portal.Features.Scorecards;

/// <summary>
/// Reads a configuration file written as YAML node by node (YamlDotNet's representation model keeps every node's line
/// and column), so that each error names the file, line and column of the value at fault; every error is collected,
/// not just the first. The SLA catalogue and the alert rules read their files this way.
/// </summary>
public abstract partial class YamlFileReader(string file)
{
    private readonly List<SlaError> errors = [];
    private readonly List<PromQlExpression> promQl = [];

    /// <summary>The file's PromQL expressions, where they are, for Prometheus to parse (<see cref="SlaCatalogueCheck"/>).</summary>
    public IReadOnlyList<PromQlExpression> PromQl => promQl;

    protected string File => file;

    /// <summary>The errors found so far, in the file's order.</summary>
    protected IReadOnlyList<SlaError> Errors => errors.OrderBy(error => error.Location.Line).ThenBy(error => error.Location.Column).ToList();

    /// <summary>What the last read found: its errors and warnings, in the file's order.</summary>
    public IReadOnlyList<SlaError> Findings => Errors;

    protected int BlockingErrors => errors.Count(error => error.Blocking);

    /// <summary>The document's root mapping, or null with the error noted.</summary>
    protected YamlMappingNode? Load(string yaml, string expected)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            errors.Add(new SlaError(At(ex.Start), $"not valid YAML: {ex.InnerException?.Message ?? ex.Message}"));
            return null;
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add(new SlaError(new SourceLocation(file, 1, 1), $"expected {expected}"));
            return null;
        }
        return root;
    }

    protected void Add(SlaError error) => errors.Add(error);

    /// <summary>
    /// A required PromQL value, collected for parsing; <paramref name="mayBeEmpty"/> when no series is a normal answer,
    /// else <paramref name="whileEmpty"/> says what no series means (the check's warning).
    /// </summary>
    protected string? PromQlText(YamlMappingNode map, string name, string what, bool mayBeEmpty = false, string? whileEmpty = null)
    {
        var query = RequiredText(map, name, what);
        if (query is not null)
        {
            var expression = new PromQlExpression(query, At(Child(map, name)!.Start), $"{what}: `{name}`", mayBeEmpty);
            promQl.Add(whileEmpty is null ? expression : expression with { WhileEmpty = whileEmpty });
        }
        return query;
    }

    /// <summary>
    /// The name at <paramref name="field"/> (<paramref name="fallback"/> when absent), with a warning there when
    /// <paramref name="known"/> was read and lacks it: a target, an app the portal does not have.
    /// </summary>
    protected string KnownName(YamlMappingNode map, string field, string fallback, IReadOnlySet<string>? known, string what, string noun, string whereAdded)
    {
        var value = Text(Child(map, field)) ?? fallback;
        if (known is not null && !known.Contains(value))
        {
            var names = known.Count == 0 ? "none" : string.Join(", ", known.Order(StringComparer.Ordinal).Select(name => $"'{name}'"));
            Add(new SlaError(At((Child(map, field) ?? map).Start), $"{what}: no {noun} '{value}'; the portal has {names} ({whereAdded})", Blocking: false));
        }
        return value;
    }

    protected void Error(YamlNode node, string message) => errors.Add(new SlaError(At(node.Start), message));

    protected SourceLocation At(Mark mark) => new(file, mark.Line, mark.Column);

    protected static YamlNode? Child(YamlMappingNode map, string name) =>
        map.Children.FirstOrDefault(pair => Text(pair.Key) == name).Value;

    protected static string? Text(YamlNode? node) => node is YamlScalarNode { Value: { } value } ? value : null;

    protected string? RequiredText(YamlMappingNode map, string name, string what)
    {
        if (Text(Child(map, name)) is { Length: > 0 } value)
        {
            return value;
        }
        Error(Child(map, name) ?? map, $"{what}: `{name}` is missing");
        return null;
    }

    protected string OneOf(YamlMappingNode map, string name, IReadOnlyList<string> allowed, string fallback, string what)
    {
        var node = Child(map, name);
        if (node is null)
        {
            return fallback;
        }
        if (Text(node) is { } value && allowed.Contains(value))
        {
            return value;
        }
        Error(node, $"{what}: {name} '{Text(node)}'; one of {string.Join(", ", allowed)}");
        return fallback;
    }

    /// <summary>"2s", "500ms", "1.5m", "6h", "3d" → milliseconds, above 0 and at most <paramref name="maxMs"/> (an hour unless said).</summary>
    protected double? Duration(YamlMappingNode map, string name, string what, bool required = false, double maxMs = 3_600_000)
    {
        var node = Child(map, name);
        if (node is null)
        {
            if (required)
            {
                Error(map, $"{what}: `{name}` is missing (a duration like 50ms or 2s)");
            }
            return null;
        }
        var match = DurationPattern().Match(Text(node) ?? "");
        if (!match.Success)
        {
            Error(node, $"{what}: {name} must be a duration like 500ms, 2s or 1.5m, not '{Text(node)}'");
            return null;
        }
        var unit = match.Groups[2].Value switch { "ms" => 1, "s" => 1_000, "m" => 60_000, "h" => 3_600_000, _ => 86_400_000 };
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * unit;
        if (value <= 0 || value > maxMs)
        {
            Error(node, $"{what}: {name} {Text(node)} is out of range (above 0, at most {Longest(maxMs)})");
            return null;
        }
        return value;
    }

    private static string Longest(double ms) => ms switch
    {
        3_600_000 => "an hour",
        _ when ms % 86_400_000 == 0 => $"{ms / 86_400_000:0} days",
        _ => $"{ms / 3_600_000:0.#} hours",
    };

    /// <summary>"99.5%" or 0.995 → 0.995: above 0, at most 1.</summary>
    protected double? Share(YamlMappingNode map, string name, string what, bool required = false)
    {
        var node = Child(map, name);
        if (node is null)
        {
            if (required)
            {
                Error(map, $"{what}: `{name}` is missing (a share like 99.5%)");
            }
            return null;
        }
        var text = (Text(node) ?? "").Trim();
        var percent = text.EndsWith('%');
        // In decimal: 99.9 / 100 in binary floating point is 0.9990000000000001, which the API and CSV then showed.
        if (!decimal.TryParse(percent ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out var exact))
        {
            Error(node, $"{what}: {name} must be a share like 99.5% or 0.995, not '{text}'");
            return null;
        }
        var value = (double)(percent ? exact / 100 : exact);
        if (value is <= 0 or > 1)
        {
            Error(node, $"{what}: {name} {text} is out of range (above 0 %, at most 100 %)");
            return null;
        }
        return value;
    }

    protected double? Number(YamlMappingNode map, string name, string what, double min, double max)
    {
        var node = Child(map, name);
        if (node is null)
        {
            return null;
        }
        if (!double.TryParse(Text(node), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= min || value > max)
        {
            Error(node, $"{what}: {name} must be a number above {min} and at most {max}, not '{Text(node)}'");
            return null;
        }
        return value;
    }

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")]
    private static partial Regex DurationPattern();
}
