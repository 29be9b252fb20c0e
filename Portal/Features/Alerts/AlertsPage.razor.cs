using System.Globalization;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Portal.Components;
using Portal.Components.Live;

namespace Portal.Features.Alerts;

public sealed partial class AlertsPage : ComponentBase, IDisposable
{
    [Inject]
    public required AlertRulesSource Rules { get; init; }

    [Inject]
    public required SilenceStore Silences { get; init; }

    [Inject]
    public required NotificationActions Actions { get; init; }

    [Inject]
    public required NotificationDestinations Destinations { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required AlertBacktest Backtest { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [Inject]
    public required LiveFeeds Feeds { get; init; }

    [Inject]
    public required LiveViewer Viewer { get; init; }

    [CascadingParameter]
    public required Task<Microsoft.AspNetCore.Components.Authorization.AuthenticationState> Authentication { get; set; }

    private IReadOnlyList<AlertInstance>? active;
    private IReadOnlyList<AlertRule> rules = [];
    private IReadOnlyList<RuleRow> ruleRows = [];
    private IReadOnlyList<AlertNotification> sent = [];
    private IReadOnlyList<Silence> silences = [];
    private DateTimeOffset? lastEvaluation;
    private string? filter;
    private readonly TableSort<RuleRow> ruleSort = new(("name", row => row.Name), ("severity", row => row.Severity), ("source", row => row.Source));
    private IReadOnlyList<Destination> destinations = [];
    private (long Id, string Destination)? testQueued;
    private LiveFollow<AlertsSnapshot>? live;
    private bool isAdmin;
    private bool canBacktest;
    private readonly Dictionary<string, string> backtests = [];

    /// <summary>The rule tried on the last 7 days, in a line beside it.</summary>
    private async Task BacktestAsync(AlertRule rule)
    {
        backtests[rule.Key] = "trying it on the last 7 days…";
        StateHasChanged();
        var now = Time.GetUtcNow();
        try
        {
            var result = await Backtest.RunAsync(rule, Rules.Current!, now.AddDays(-7), now);
            backtests[rule.Key] = result.NotPossible is { } why ? $"cannot be tried: {why}"
                : $"last 7 days: fired {result.Intervals.Count} time{(result.Intervals.Count == 1 ? "" : "s")}, {result.NotificationCount} notification{(result.NotificationCount == 1 ? "" : "s")}" +
                  (result.PagesAtNight > 0 ? $", {result.PagesAtNight} at night" : "");
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or HttpRequestException or InvalidOperationException)
        {
            backtests[rule.Key] = $"could not be tried: {ex.Message}";
        }
    }

    // One read per interval for every viewer of the page (LiveFeeds), shown as it changes.
    protected override async Task OnInitializedAsync()
    {
        // Once, not an AuthorizeView per row; the actions check the role again.
        isAdmin = (await Authentication).User.IsInRole(Auth.PortalRoles.Admin);
        canBacktest = (await Authentication).User.IsInRole(Auth.PortalRoles.Developer);
        live = Feeds.Follow<AlertsSnapshot>(Viewer, () => InvokeAsync(() =>
        {
            Show();
            StateHasChanged();
        }));
        await live.FollowAsync("alerts", TimeSpan.FromSeconds(15), (services, cancellationToken) => AlertsSnapshot.ReadAsync(services, cancellationToken));
        Show();
    }

    private void Show()
    {
        if (live?.Current?.Value is not { } snapshot)
        {
            return;
        }
        rules = snapshot.Rules;
        ruleRows = RuleRow.Of(rules);
        active = snapshot.Instances.Where(instance => instance.State != AlertStates.Inactive)
            .OrderByDescending(instance => instance.State == AlertStates.Firing).ThenBy(instance => instance.ActiveSince).ToList();
        lastEvaluation = snapshot.Instances.Count > 0 ? snapshot.Instances.Max(instance => instance.LastEvaluatedAt) : null;
        sent = snapshot.Sent;
        destinations = snapshot.Destinations;
        silences = snapshot.Silences;
    }

    private async Task LoadAsync()
    {
        if (live is not null)
        {
            await live.RefreshAsync();
            Show();
        }
    }

    private async Task SendTestAsync(string destination)
    {
        if (await Actions.SendTestAsync((await Authentication).User, destination, CancellationToken.None) is { } id)
        {
            testQueued = (id, destination);
        }
        await LoadAsync();
    }

    private async Task SilenceAsync(AlertInstance alert)
    {
        var dialog = await Dialogs.ShowAsync<SilenceDialog>($"Silence {alert.RuleName}", new DialogParameters<SilenceDialog> { { dialog => dialog.Alert, alert } });
        if (await dialog.Result is { Canceled: false })
        {
            await LoadAsync();
        }
    }

    // Which alerts a destination gets: the routes naming it, and everything no route takes if it is a default.
    private string Routing(string destination)
    {
        var ruleSet = Rules.Current;
        if (ruleSet is null)
        {
            return "";
        }
        var routes = ruleSet.Routes.Where(route => route.To.Contains(destination))
            .Select(route => string.Join(", ", route.Match.Select(matcher => $"{matcher.Key}={matcher.Value}")));
        var parts = routes.Concat(ruleSet.DefaultDestinations.Contains(destination) ? ["every alert no route takes"] : []).ToList();
        return parts.Count > 0 ? string.Join("; ", parts) : "nothing: no route names it";
    }

    private bool Matches(RuleRow row) => string.IsNullOrWhiteSpace(filter)
        || row.Rules.Any(rule => $"{rule.Name} {rule.Severity} {rule.Source} {rule.Objective} {string.Join(' ', rule.Labels.Values)}".Contains(filter, StringComparison.OrdinalIgnoreCase));

    internal static string Condition(AlertRule rule) => rule.Source == AlertSources.BurnRate
        ? $"burning > {Number(rule.Threshold)}× over {AlertRuleSet.Compact(rule.LongWindow!.Value)} and {AlertRuleSet.Compact(rule.ShortWindow!.Value)}" +
          (rule.MinEvents > 0 ? $", with at least {rule.MinEvents:N0} event{(rule.MinEvents == 1 ? "" : "s")} in {AlertRuleSet.Compact(rule.LongWindow!.Value)}" : "")
        : $"{What(rule)} {(rule.Below ? "<" : ">")} {Number(rule.Threshold)}{(rule.For > TimeSpan.Zero ? $" for {AlertRuleSet.Compact(rule.For)}" : "")}";

    internal static string What(AlertRule rule) => rule.Source switch
    {
        AlertSources.PromQl => rule.Query!,
        AlertSources.Sli => $"SLI of {rule.Objective} over {AlertRuleSet.Compact(rule.Over)}",
        AlertSources.Query => $"slowest mean on {rule.Target} over {AlertRuleSet.Compact(rule.Over)} (ms)",
        AlertSources.Vitals => $"{rule.Metric} p75 of {rule.App}{rule.Page} over {AlertRuleSet.Compact(rule.Over)} (ms)",
        AlertSources.Cache => $"hit ratio of {rule.Redis ?? rule.Category} over {AlertRuleSet.Compact(rule.Over)}",
        AlertSources.Risk => $"share used of the {(rule.Risk == "*" ? "maintenance risks" : Queries.MaintenanceRisks.Title(rule.Risk!))} on {rule.Target}",
        AlertSources.Lighthouse => $"last Lighthouse {rule.Category} score of {rule.Service ?? "every service"}{(rule.Page is null ? "'s pages" : $" {rule.Page}")}" +
            $"{(rule.Profile is null ? "" : $" ({rule.Profile})")} over {AlertRuleSet.Compact(rule.Over)}",
        AlertSources.Job => $"minutes past freshness of {rule.Job}",
        _ => rule.Source,
    };

    private static string Number(double? value) => AlertInstance.Format(value);

    private static Color SeverityColor(string severity) => severity is AlertSeverities.Critical or AlertSeverities.Page ? Color.Error : Color.Warning;

    public void Dispose() => live?.Dispose();
}

/// <summary>
/// A row of the rules table: a threshold rule of alerts.yaml alone, or the burn-rate rules generated for one objective
/// folded under it (their conditions one under the other, the labels they share once), so 30 rules fit a screen.
/// </summary>
public sealed record RuleRow(string Name, string Severity, string Source, string? Objective, IReadOnlyList<AlertRule> Rules, IReadOnlyList<KeyValuePair<string, string>> Labels)
{
    public static IReadOnlyList<RuleRow> Of(IReadOnlyList<AlertRule> rules) =>
        rules.Where(rule => rule.Source != AlertSources.BurnRate)
            .Select(rule => new RuleRow(rule.Name, rule.Severity, rule.Source, rule.Objective, [rule], [.. rule.Labels]))
            .Concat(rules.Where(rule => rule.Source == AlertSources.BurnRate).GroupBy(rule => rule.Objective).Select(Folded))
            .ToList();

    private static RuleRow Folded(IGrouping<string?, AlertRule> objective)
    {
        var members = objective.ToList();
        var shared = members[0].Labels.Where(label => members.All(rule => rule.Labels.TryGetValue(label.Key, out var value) && value == label.Value)).ToList();
        return new RuleRow(
            CommonPrefix(members.Select(rule => rule.Name).Distinct().ToList()),
            string.Join(", ", members.Select(rule => rule.Severity).Distinct()),
            AlertSources.BurnRate, objective.Key, members, shared);
    }

    // ErrorBudgetBurnFast and ErrorBudgetBurnSlow are one family: ErrorBudgetBurn.
    private static string CommonPrefix(IReadOnlyList<string> names) =>
        names.Aggregate((prefix, name) => prefix[..prefix.Zip(name).TakeWhile(pair => pair.First == pair.Second).Count()]) is { Length: > 0 } family
            ? family
            : string.Join(", ", names);
}

/// <summary>What the Alerts page shows, read at once for every viewer.</summary>
public sealed record AlertsSnapshot(
    IReadOnlyList<AlertRule> Rules, IReadOnlyList<AlertInstance> Instances, IReadOnlyList<AlertNotification> Sent,
    IReadOnlyList<Destination> Destinations, IReadOnlyList<Silence> Silences)
{
    public static async Task<AlertsSnapshot> ReadAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<AlertStore>();
        return new AlertsSnapshot(
            services.GetRequiredService<AlertRulesSource>().Rules(),
            await store.AllAsync(cancellationToken),
            await store.NotificationsAsync(new NotificationFilter(Limit: 10), cancellationToken),
            services.GetRequiredService<NotificationDestinations>().All(),
            await services.GetRequiredService<SilenceStore>().ListAsync(cancellationToken: cancellationToken));
    }
}
