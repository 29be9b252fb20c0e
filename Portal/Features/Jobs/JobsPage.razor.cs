using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using Portal.Components;
using Portal.Components.Live;
using Portal.Features.Auth;

namespace Portal.Features.Jobs;

public sealed partial class JobsPage : RangedPage, IDisposable
{
    private const int RefreshSeconds = 2;

    private static readonly string[] Views = ["catalogue", "history", "failures"];

    [Inject]
    public required JobsService Jobs { get; init; }

    [Inject]
    public required IOptions<WorkerOptions> Worker { get; init; }

    [Inject]
    public required ILogger<JobsPage> Logger { get; init; }

    [Inject]
    public required LiveFeeds Feeds { get; init; }

    [Inject]
    public required LiveViewer Viewer { get; init; }

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = default!;

    /// <summary>Which tab is open: catalogue (default), history or failures — linkable.</summary>
    [SupplyParameterFromQuery(Name = "view")]
    public string? View { get; set; }

    [SupplyParameterFromQuery(Name = "job")]
    public string? JobFilter { get; set; }

    [SupplyParameterFromQuery(Name = "outcome")]
    public string? OutcomeFilter { get; set; }

    private string CurrentView => View is not null && Views.Contains(View) ? View : Views[0];

    private IReadOnlyList<JobOverview>? jobs;
    private IReadOnlyList<JobRun>? history;
    private IReadOnlyList<JobRun>? failures;
    private IReadOnlyList<WorkerHeartbeat>? workers;
    private JobRunCounts? counts;
    private string? loadError;
    private string? message;
    private bool messageIsError;
    private LiveFollow<JobsSnapshot>? live;
    private bool isAdmin;

    // Once, not an AuthorizeView per row (a component each); the service checks the role again on every action.
    protected override async Task OnInitializedAsync() => isAdmin = (await Authentication).User.IsInRole(PortalRoles.Admin);

    // One read per filter set and interval for every viewer of the page (LiveFeeds), shown as it changes.
    protected override async Task OnParametersSetAsync()
    {
        live ??= Feeds.Follow<JobsSnapshot>(Viewer, () => InvokeAsync(() =>
        {
            Show();
            StateHasChanged();
        }));
        var (range, from, to) = Window.ToQuery();
        var filter = new JobsFilter(JobFilter, OutcomeFilter, range, from, to);
        await live.FollowAsync($"jobs?{filter}", TimeSpan.FromSeconds(RefreshSeconds), (services, _) => JobsSnapshot.ReadAsync(services, filter));
        Show();
    }

    private void Show()
    {
        if (live?.Current is not { } current)
        {
            return;
        }
        if (current.Value is { } snapshot)
        {
            (jobs, counts, history, failures, workers) = (snapshot.Jobs, snapshot.Counts, snapshot.History, snapshot.Failures, snapshot.Workers);
        }
        if (current.Error is not null)
        {
            Logger.LogDebug("Jobs page shows a read error: {Message}", current.Error);
        }
        loadError = current.Error;
    }

    private async Task LoadAsync()
    {
        if (live is not null)
        {
            await live.RefreshAsync();
            Show();
        }
    }

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

    protected override IReadOnlyDictionary<string, string?> Filters => new Dictionary<string, string?> { ["view"] = View, ["job"] = JobFilter, ["outcome"] = OutcomeFilter };

    public void Dispose() => live?.Dispose();
}

/// <summary>The Jobs page's filters: the key of its live feed (a preset range keeps following now, read at each read).</summary>
public sealed record JobsFilter(string? Job, string? Outcome, string Range, string? From = null, string? To = null)
{
    public override string ToString() => $"job={Job}&outcome={Outcome}&range={Range}" + (From is null ? "" : $"&from={From}&to={To}");
}

/// <summary>Everything the Jobs page shows for one set of filters, read at once.</summary>
public sealed record JobsSnapshot(IReadOnlyList<JobOverview> Jobs, JobRunCounts Counts, IReadOnlyList<JobRun> History, IReadOnlyList<JobRun> Failures, IReadOnlyList<WorkerHeartbeat> Workers)
{
    public static async Task<JobsSnapshot> ReadAsync(IServiceProvider services, JobsFilter filter)
    {
        var runs = services.GetRequiredService<JobRunStore>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var jobs = await services.GetRequiredService<JobsService>().GetOverviewAsync(CancellationToken.None);
        var counts = await runs.CountRunsSinceAsync(TimeSpan.FromDays(1), CancellationToken.None);
        var window = TimeRange.Parse(filter.Range, filter.From, filter.To, now, fallback: "24h");
        var history = await runs.GetRunsAsync(new JobRunQuery(filter.Job, filter.Outcome, window.From, window.To), CancellationToken.None);
        var failures = (await runs.GetRunsAsync(new JobRunQuery(filter.Job, JobOutcomes.Failed, now.AddDays(-30)), CancellationToken.None))
            .Concat(await runs.GetRunsAsync(new JobRunQuery(filter.Job, JobOutcomes.TimedOut, now.AddDays(-30)), CancellationToken.None))
            .OrderByDescending(run => run.StartedAt).ToList();
        var workers = await services.GetRequiredService<WorkerHeartbeats>().GetRecentAsync(TimeSpan.FromDays(1), CancellationToken.None);
        return new JobsSnapshot(jobs, counts, history, failures, workers);
    }
}
