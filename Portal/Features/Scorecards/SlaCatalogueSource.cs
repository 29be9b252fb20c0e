using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Portal.Features.Prometheus;

namespace Portal.Features.Scorecards;

public sealed class ScorecardOptions
{
    public const string Section = "Scorecards";

    /// <summary>The SLA catalogue, relative to the content root or absolute.</summary>
    public string CatalogueFile { get; set; } = "slas.yaml";

    /// <summary>How far back an objective's evaluation catches up after a pause of the worker (or when it is new).</summary>
    public int CatchUpHours { get; set; } = 24;

    /// <summary>Days of 5-minute SLI samples kept (the objective detail's hourly chart); older days stay as daily rows.</summary>
    public int RawRetentionDays { get; set; } = 8;

    /// <summary>Days of daily SLI rows kept (previous periods, reports).</summary>
    public int DailyRetentionDays { get; set; } = 400;

    /// <summary>
    /// An objective observed for less than this share of its window is warming up: its compliance so far is shown, it
    /// is neither met nor breached, and it raises no burn-rate alert (three intervals are no evidence of a month).
    /// </summary>
    public double WarmUpShare { get; set; } = 0.1;
}

/// <summary>
/// The SLA catalogue in force: loaded at start, reloaded when the file changes. An invalid edit leaves the last valid
/// catalogue in force and its errors in <see cref="Errors"/> (shown to admins); a valid one clears them. While there are
/// errors or warnings the file is read again every few minutes too (Prometheus may have seen a metric by then), and so
/// while part of it could not be checked. At start the portal waits for Prometheus's metric names only
/// <see cref="StartWait"/>: a hung Prometheus would otherwise hold the process's start for the client's time-outs; the
/// catalogue is then read as while Prometheus is away (its PromQL's brackets only) and checked again later.
/// </summary>
public sealed class SlaCatalogueSource(IOptions<ScorecardOptions> options, IHostEnvironment environment, SlaCatalogueCheck check, ILogger<SlaCatalogueSource> logger)
    : IHostedService, IDisposable
{
    private PhysicalFileProvider? files;
    private IDisposable? watch;
    private readonly SemaphoreSlim loading = new(1, 1);
    private readonly CancellationTokenSource stopping = new();
    private volatile bool disposed;
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan StartWait = TimeSpan.FromSeconds(3);
    private volatile bool partlyChecked;

    public SlaCatalogue? Current { get; private set; }

    public IReadOnlyList<SlaError> Errors { get; private set; } = [];

    public string Path => System.IO.Path.GetFullPath(options.Value.CatalogueFile, environment.ContentRootPath);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ReloadAsync(StartWait, cancellationToken);
        files = new PhysicalFileProvider(System.IO.Path.GetDirectoryName(Path)!) { UsePollingFileWatcher = true, UseActivePolling = true };
        watch = ChangeToken.OnChange(() => files.Watch(System.IO.Path.GetFileName(Path)), () => _ = ReloadAsync());
        _ = RecheckAsync(stopping.Token);
    }

    private async Task RecheckAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(RecheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (Errors.Count > 0 || partlyChecked)
                {
                    await ReloadAsync(cancellationToken: cancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <param name="prometheusWait">How long to wait for Prometheus (see <see cref="StartWait"/>); null: its client's time-out.</param>
    public async Task ReloadAsync(TimeSpan? prometheusWait = null, CancellationToken cancellationToken = default)
    {
        await loading.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(Path))
            {
                Errors = [new SlaError(new SourceLocation(Path, 1, 1), "the SLA catalogue file does not exist")];
                logger.LogWarning("SLA catalogue {Path} does not exist", Path);
                return;
            }
            var (read, errors, notChecked) = await check.ReadAsync(Path, await File.ReadAllTextAsync(Path, cancellationToken), prometheusWait, cancellationToken);
            partlyChecked = notChecked.Count > 0;
            var catalogue = read is null ? null : read with
            {
                Objectives = read.Objectives.Select(objective => objective with { WarmUpShare = options.Value.WarmUpShare }).ToList(),
            };
            Errors = errors;
            if (catalogue is not null && errors.Count > 0)
            {
                Current = catalogue;
                logger.LogWarning("SLA catalogue {Path} loaded with warnings: {Warnings}", Path, string.Join("; ", errors));
            }
            else if (catalogue is not null)
            {
                Current = catalogue;
                logger.LogInformation("SLA catalogue {Path}: {Objectives} objectives of {Services} services", Path, catalogue.Objectives.Count, catalogue.Services.Count());
            }
            else
            {
                logger.LogWarning("SLA catalogue {Path} is invalid, the previous one stays in force: {Errors}", Path, string.Join("; ", errors));
            }
        }
        finally
        {
            loading.Release();
        }
    }

    // A host may stop a service it has already disposed (a test host torn down mid-start): stopping twice is a no-op.
    public Task StopAsync(CancellationToken cancellationToken) => disposed ? Task.CompletedTask : stopping.CancelAsync();

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        stopping.Cancel();
        watch?.Dispose();
        files?.Dispose();
        stopping.Dispose();
        loading.Dispose();
    }
}
