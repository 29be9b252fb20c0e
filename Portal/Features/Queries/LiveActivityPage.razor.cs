using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using MudBlazor;
using Npgsql;
using Portal.Components;

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

    [CascadingParameter]
    public required Task<AuthenticationState> Authentication { get; set; }

    [SupplyParameterFromQuery(Name = "target")]
    public string? Target { get; set; }

    private ActivityReport? report;
    private string? error;
    private string? message;
    private readonly CancellationTokenSource disposed = new();

    private string TargetName => Targets.Find(Target)?.Name ?? QueryOptions.PortalTarget;

    protected override void OnInitialized() =>
        _ = PeriodicRefresh.RunAsync(TimeSpan.FromSeconds(RefreshSeconds), () => InvokeAsync(async () =>
        {
            await LoadAsync();
            StateHasChanged();
        }), disposed.Token);

    protected override Task OnParametersSetAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        try
        {
            report = await Activity.ReadAsync(TargetName, disposed.Token);
            error = null;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            error = $"Target {TargetName} could not be read: {ex.Message}";
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

    public void Dispose()
    {
        disposed.Cancel();
        disposed.Dispose();
    }
}
