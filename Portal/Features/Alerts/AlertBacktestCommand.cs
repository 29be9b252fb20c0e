using System.Globalization;
using Portal.Features.Scorecards;

namespace Portal.Features.Alerts;

/// <summary>
/// <c>./portal alerts backtest FILE [--days N]</c>: every rule of an <c>alerts.yaml</c> (its threshold rules and the
/// burn-rate rules its windows generate) tried on the portal's stored data before the change is merged — when it would
/// have fired, what it would have sent, how many pages at night. Exit code 1 when the file is invalid.
/// </summary>
public static class AlertBacktestCommand
{
    public static async Task<int> RunAsync(IServiceProvider services, string file, IReadOnlyList<string> arguments, TextWriter output)
    {
        var days = 7;
        if (arguments is ["--days", var given] && (!int.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out days) || AlertBacktest.DaysProblem(days) is not null)
            || arguments is not ([] or ["--days", _]))
        {
            await output.WriteLineAsync($"usage: ./portal alerts backtest FILE [--days N] ({AlertBacktest.DaysProblem(0)})");
            return 2;
        }
        if (!File.Exists(file))
        {
            await output.WriteLineAsync($"{file}: no such file");
            return 2;
        }
        await services.GetRequiredService<SlaCatalogueSource>().ReloadAsync();
        var (results, errors) = await services.GetRequiredService<AlertBacktest>().RunFileAsync(file, await File.ReadAllTextAsync(file), days);
        foreach (var error in errors)
        {
            await output.WriteLineAsync(error.ToString());
        }
        if (results is null)
        {
            return 1;
        }
        await output.WriteLineAsync($"{results.Count} rules tried on the last {days} days ({results.Sum(result => result.Evaluations):N0} evaluations):");
        foreach (var result in results)
        {
            if (result.NotPossible is { } why)
            {
                await output.WriteLineAsync($"  {result.Key}: cannot be tried — {why}");
                continue;
            }
            var sent = string.Join(", ", result.Notifications.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Value} {pair.Key}"));
            await output.WriteLineAsync($"  {result.Key}: fired {result.Intervals.Count} times, {result.NotificationCount} notifications{(sent.Length > 0 ? $" ({sent})" : "")}, " +
                $"{result.PagesAtNight} pages at night");
            foreach (var interval in result.Intervals.Take(20))
            {
                var end = interval.End is { } ended ? ended.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "still firing at the end";
                await output.WriteLineAsync($"    {interval.Start.UtcDateTime:yyyy-MM-dd HH:mm} → {end}  worst {AlertInstance.Format(interval.Worst)}  " +
                    string.Join(", ", interval.Labels.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}={pair.Value}")));
            }
            if (result.Intervals.Count > 20)
            {
                await output.WriteLineAsync($"    … and {result.Intervals.Count - 20} more");
            }
        }
        return 0;
    }
}
