using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using MudBlazor;
using Npgsql;
using Portal.Components;
using Portal.Components.Live;

namespace Portal.Features.Queries;

public sealed partial class LiveActivityPage
{
    public const int RefreshSeconds = 5;

    [Inject]
    public required QueryTargets Targets { get; init; }

    [Inject]
    public required LiveActivity Activity { get; init; }

    [Inject]
    public required IOptions<QueryOptions> Options { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required LiveFeeds Feeds { get; init; }

    [Inject]
    public required LiveViewer Viewer { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> Authentication { get; set; }

    [SupplyParameterFromQuery(Name = "target")]
    public string? Target { get; set; }

    private ActivityReport? report;
    private string? error;
    private string? message;
    private LiveFollow<ActivityReport>? live;

    private string TargetName => Targets.Find(Target)?.Name ?? QueryOptions.PortalTarget;

    // One read of the target's pg_stat_activity per interval for every viewer of that target (LiveFeeds).
    protected override async Task OnParametersSetAsync()
    {
        live ??= Feeds.Follow<ActivityReport>(Viewer, () => InvokeAsync(() =>
        {
            Show();
            StateHasChanged();
        }));
        var target = TargetName;
        await live.FollowAsync($"live-activity?target={target}", TimeSpan.FromSeconds(RefreshSeconds),
            (services, cancellationToken) => services.GetRequiredService<LiveActivity>().ReadAsync(target, cancellationToken));
        Show();
    }

    private void Show()
    {
        report = live?.Current?.Value;
        error = live?.Current?.Error is { } failure ? $"Target {TargetName} could not be read: {failure}" : null;
    }

    private async Task LoadAsync()
    {
        if (live is not null)
        {
            await live.RefreshAsync();
            Show();
        }
    }

    private static int CountBlocked(Session session) => session.Blocking.Sum(blocked => 1 + CountBlocked(blocked));

    private async Task CancelAsync(Session session)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Cancel query",
            $"Cancel the query of pid {session.Pid} ({session.User} on {session.Database})? Its transaction is rolled back; the session stays.",
            yesText: "Cancel query", cancelText: "Keep it running");
        if (confirmed != true)
        {
            return;
        }
        var outcome = await Activity.CancelAsync((await Authentication).User, TargetName, session.Pid, session.Query);
        message = outcome == CancelOutcome.Cancelled
            ? $"Cancelled the query of pid {session.Pid}."
            : $"PostgreSQL did not cancel pid {session.Pid}: the session has ended, or the target's role may not signal it (GRANT pg_signal_backend).";
        await LoadAsync();
    }

    private void TargetChanged(string target) => Navigation.ReplaceQuery(new Dictionary<string, string?> { ["target"] = Target }, ("target", target));

    public void Dispose() => live?.Dispose();
}
