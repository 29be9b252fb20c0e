using System.Globalization;
using System.Text.Json;

namespace Portal.Features.Prometheus;

public sealed record PrometheusSample(DateTimeOffset Timestamp, double Value);

/// <summary>One series: its labels (<c>__name__</c> included when Prometheus returns it) and its samples in time order.</summary>
public sealed record PrometheusSeries(IReadOnlyDictionary<string, string> Labels, IReadOnlyList<PrometheusSample> Samples)
{
    /// <summary>The series as PromQL writes it: <c>name{label="value", …}</c>.</summary>
    public string Name
    {
        get
        {
            var name = Labels.GetValueOrDefault("__name__") ?? "";
            var labels = Labels.Where(label => label.Key != "__name__").OrderBy(label => label.Key, StringComparer.Ordinal)
                .Select(label => $"{label.Key}=\"{label.Value}\"");
            var matchers = string.Join(", ", labels);
            return matchers.Length == 0 ? (name.Length == 0 ? "{}" : name) : $"{name}{{{matchers}}}";
        }
    }
}

/// <summary>
/// A query's answer, whatever its type: <c>vector</c> and <c>matrix</c> as series (one sample each for a vector),
/// <c>scalar</c> as one sample, <c>string</c> as text. Values keep NaN and ±Inf.
/// </summary>
public sealed record PrometheusResult(string ResultType, IReadOnlyList<PrometheusSeries> Series, PrometheusSample? Scalar, string? Text, IReadOnlyList<string> Warnings)
{
    public int Points => Series.Sum(series => series.Samples.Count);

    public static PrometheusResult Parse(JsonElement data, IReadOnlyList<string>? warnings)
    {
        var type = data.GetProperty("resultType").GetString()!;
        var result = data.GetProperty("result");
        return type switch
        {
            "vector" => new(type, result.EnumerateArray().Select(item => new PrometheusSeries(Labels(item), [Sample(item.GetProperty("value"))])).ToList(), null, null, warnings ?? []),
            "matrix" => new(type, result.EnumerateArray().Select(item => new PrometheusSeries(Labels(item), item.GetProperty("values").EnumerateArray().Select(Sample).ToList())).ToList(), null, null, warnings ?? []),
            "scalar" => new(type, [], Sample(result), null, warnings ?? []),
            "string" => new(type, [], null, result[1].GetString(), warnings ?? []),
            _ => throw new FormatException($"Unknown Prometheus result type '{type}'."),
        };
    }

    private static Dictionary<string, string> Labels(JsonElement item) =>
        item.GetProperty("metric").EnumerateObject().ToDictionary(label => label.Name, label => label.Value.GetString() ?? "");

    // [ <unix seconds, fractional>, "<value>" ]: Prometheus writes NaN, +Inf and -Inf as strings.
    private static PrometheusSample Sample(JsonElement pair) => new(
        DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(pair[0].GetDouble() * 1000)),
        ParseValue(pair[1].GetString()!));

    public static double ParseValue(string value) => value switch
    {
        "NaN" => double.NaN,
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
