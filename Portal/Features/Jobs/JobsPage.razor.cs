using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using Portal.Components;

namespace Portal.Features.Jobs;

public sealed partial class JobsPage : IDisposable
{
    private const int RefreshSeconds = 2;

    private static readonly string[] Views = ["catalogue", "history", "failures"];

    private static readonly Dictionary<string, TimeSpan> Ranges = new()
    {
        ["1h"] = TimeSpan.FromHours(1),
        ["24h"] = TimeSpan.FromDays(1),
        ["7d"] = TimeSpan.FromDays(7),
        ["30d"] = TimeSpan.FromDays(30),
    };

    [Inject]
    public required JobsService Jobs { get; init; }

    [Inject]
    public required JobRunStore Runs { get; init; }

    [Inject]
    public required WorkerHeartbeats Heartbeats { get; init; }

    [Inject]
    public required IOptions<WorkerOptions> Worker { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [Inject]
    public required ILogger<JobsPage> Logger { get; init; }

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = default!;

    /// <summary>Which tab is open: catalogue (default), history or failures — linkable.</summary>
    [SupplyParameterFromQuery(Name = "view")]
    public string? View { get; set; }

    [SupplyParameterFromQuery(Name = "job")]
    public string? JobFilter { get; set; }

    [SupplyParameterFromQuery(Name = "outcome")]
    public string? OutcomeFilter { get; set; }

    [SupplyParameterFromQuery(Name = "range")]
    public string? Range { get; set; }

    private string RangeFilter => Range is not null && Ranges.ContainsKey(Range) ? Range : "24h";

    private int Tab
    {
        get => Math.Max(0, Array.IndexOf(Views, View ?? Views[0]));
        set => Apply(("view", value == 0 ? null : Views[value]));
    }

    private IReadOnlyList<JobOverview>? jobs;
    private IReadOnlyList<JobRun>? history;
    private IReadOnlyList<JobRun>? failures;
    private IReadOnlyList<WorkerHeartbeat>? workers;
    private JobRunCounts? counts;
    private string? loadError;
    private string? message;
    private bool messageIsError;
    private readonly CancellationTokenSource disposed = new();

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync();
        _ = PeriodicRefresh.RunAsync(TimeSpan.FromSeconds(RefreshSeconds), RefreshAsync, disposed.Token);
    }

    protected override async Task OnParametersSetAsync()
    {
        if (jobs is not null)
        {
            await LoadAsync(); // filters changed in the address
        }
    }

    private Task RefreshAsync() => InvokeAsync(async () =>
    {
        await LoadAsync();
        StateHasChanged();
    });

    private async Task LoadAsync()
    {
        try
        {
            var since = Time.GetUtcNow() - Ranges[RangeFilter];
            jobs = await Jobs.GetOverviewAsync(disposed.Token);
            counts = await Runs.CountRunsSinceAsync(TimeSpan.FromDays(1), disposed.Token);
            history = await Runs.GetRunsAsync(new JobRunQuery(JobFilter, OutcomeFilter, since), disposed.Token);
            failures = (await Runs.GetRunsAsync(new JobRunQuery(JobFilter, JobOutcomes.Failed, Time.GetUtcNow().AddDays(-30)), disposed.Token))
                .Concat(await Runs.GetRunsAsync(new JobRunQuery(JobFilter, JobOutcomes.TimedOut, Time.GetUtcNow().AddDays(-30)), disposed.Token))
                .OrderByDescending(run => run.StartedAt).ToList();
            workers = await Heartbeats.GetRecentAsync(TimeSpan.FromDays(1), disposed.Token);
            loadError = null;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            Logger.LogWarning("Jobs page could not load: {Message}", ex.Message);
            loadError = ex.Message;
        }
    }

    public static string FormatDuration(double? milliseconds) => milliseconds switch
    {
        null => "—",
        < 1000 => $"{milliseconds.Value.ToString("0", CultureInfo.InvariantCulture)} ms",
        < 60_000 => $"{(milliseconds.Value / 1000).ToString("0.0", CultureInfo.InvariantCulture)} s",
        _ => Components.Durations.InWords(TimeSpan.FromMilliseconds(milliseconds.Value)),
    };

    private async Task RunNowAsync(string jobId)
    {
        var (result, hangfireJobId) = await Jobs.RunNowAsync((await Authentication).User, jobId);
        (message, messageIsError) = result switch
        {
            JobCommandResult.Done => ($"Queued {jobId} (Hangfire job {hangfireJobId}): a worker starts it within seconds.", false),
            JobCommandResult.Paused => ($"{jobId} is paused: resume it first.", true),
            _ => ($"{jobId} is no longer in the catalogue.", true),
        };
        await LoadAsync();
    }

    private async Task TogglePauseAsync(JobDefinitionRow definition)
    {
        await Jobs.SetPausedAsync((await Authentication).User, definition.Id, !definition.Paused);
        (message, messageIsError) = (definition.Paused ? $"{definition.Title} resumed." : $"{definition.Title} paused: its fires are recorded as skipped.", false);
        await LoadAsync();
    }

    private void Apply(params (string Name, string? Value)[] changes) => Navigation.ReplaceQuery(
        new Dictionary<string, string?> { ["view"] = View, ["job"] = JobFilter, ["outcome"] = OutcomeFilter, ["range"] = Range }, changes);

    public void Dispose()
    {
        disposed.Cancel();
        disposed.Dispose();
    }
}
