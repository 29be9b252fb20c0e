namespace Portal.Tests.Infrastructure;

/// <summary>Independent computations the tests check the portal's figures against.</summary>
public static class Expected
{
    /// <summary>PostgreSQL's percentile_cont: linear interpolation between the values at ranks floor and ceil of fraction·(n−1).</summary>
    public static double PercentileCont(IEnumerable<double> values, double fraction)
    {
        var sorted = values.Order().ToArray();
        var position = fraction * (sorted.Length - 1);
        var (lower, upper) = ((int)Math.Floor(position), (int)Math.Ceiling(position));
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
