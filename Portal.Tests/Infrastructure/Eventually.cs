namespace Portal.Tests.Infrastructure;

public static class Eventually
{
    /// <summary>
    /// How much longer than a test's stated bound a condition may take: four test classes run at once on two cores, so
    /// a step that takes a second alone may take a few (a condition that holds returns at once: only failures wait).
    /// </summary>
    public const int Patience = 2;

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <paramref name="within"/> (times <see cref="Patience"/>).</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan within, string what)
    {
        within *= Patience;
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not within {within.TotalSeconds} s: {what}");
            }
            await Task.Delay(200);
        }
    }
}
