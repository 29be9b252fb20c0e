using Microsoft.Extensions.Options;
using Portal.Features.Scorecards;

namespace Portal.Features.Alerts;

public sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>The alert rules, relative to the content root or absolute.</summary>
    public string RulesFile { get; set; } = "alerts.yaml";

    /// <summary>Where a backtest counts pages at night: from <see cref="NightStartHour"/> to <see cref="NightEndHour"/> in this time zone (IANA).</summary>
    public string NightTimeZone { get; set; } = "UTC";

    public int NightStartHour { get; set; } = 22;

    public int NightEndHour { get; set; } = 7;
}

/// <summary>
/// The alert rules in force. Every evaluation and page view asks; the file is read again when it or the SLA catalogue
/// changed since the last read. An invalid edit leaves the last valid rules in force and its errors in <see cref="Errors"/>.
/// </summary>
public sealed class AlertRulesSource(IOptions<AlertOptions> options, IHostEnvironment environment, SlaCatalogueSource catalogue, NotificationDestinations destinations, ILogger<AlertRulesSource> logger)
{
    private readonly Lock reading = new();
    private (DateTime Written, long Length, DateTimeOffset? Catalogue) readStamp;

    public string Path => System.IO.Path.GetFullPath(options.Value.RulesFile, environment.ContentRootPath);

    public AlertRuleSet? Current { get; private set; }

    public IReadOnlyList<SlaError> Errors { get; private set; } = [];

    /// <summary>The rules in force after reading the file again if it changed: the file's and the generated burn-rate rules.</summary>
    public IReadOnlyList<AlertRule> Rules()
    {
        lock (reading)
        {
            var file = new FileInfo(Path);
            var stamp = (file.Exists ? file.LastWriteTimeUtc : DateTime.MinValue, file.Exists ? file.Length : -1, catalogue.Current?.LoadedAt);
            if (stamp != readStamp)
            {
                readStamp = stamp;
                Read(file);
            }
            return Current is null ? [] : [.. Current.Rules, .. Current.Generated(catalogue.Current)];
        }
    }

    private void Read(FileInfo file)
    {
        if (!file.Exists)
        {
            Errors = [new SlaError(new SourceLocation(Path, 1, 1), "the alert rules file does not exist")];
            logger.LogWarning("Alert rules {Path} do not exist", Path);
            return;
        }
        var (rules, errors) = new AlertRulesReader(Path, catalogue.Current, destinations.All().Select(destination => destination.Name).ToList()).Read(File.ReadAllText(Path));
        Errors = errors;
        if (rules is null)
        {
            logger.LogWarning("Alert rules {Path} are invalid, the previous ones stay in force: {Errors}", Path, string.Join("; ", errors));
            return;
        }
        Current = rules;
        logger.LogInformation("Alert rules {Path}: {Rules} threshold rules, {Windows} burn-rate windows", Path, rules.Rules.Count, rules.BurnRates.Count);
    }
}
