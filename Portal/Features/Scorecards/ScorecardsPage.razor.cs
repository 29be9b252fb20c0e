using System.Globalization;
using Microsoft.AspNetCore.Components;
using Portal.Components;
using Portal.Components.Live;

namespace Portal.Features.Scorecards;

public sealed partial class ScorecardsPage : ComponentBase, IDisposable
{
    [Inject]
    public required SlaCatalogueSource Catalogue { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required LiveFeeds Feeds { get; init; }

    [Inject]
    public required LiveViewer Viewer { get; init; }

    [SupplyParameterFromQuery(Name = "team")]
    public string? Team { get; set; }

    [SupplyParameterFromQuery(Name = "priority")]
    public string? Priority { get; set; }

    [SupplyParameterFromQuery(Name = "window")]
    public string? Window { get; set; }

    private ScorecardSet? set;
    private IReadOnlyList<ServiceScore> shown = [];
    private IReadOnlyList<string> teams = [];
    private DateTimeOffset? lastEvaluation;
    private LiveFollow<ScorecardSet>? live;

    // One read per window and minute for every viewer, wall screens included (LiveFeeds); team and priority filter
    // what is read, so they share the window's feed.
    protected override async Task OnParametersSetAsync()
    {
        live ??= Feeds.Follow<ScorecardSet>(Viewer, () => InvokeAsync(() =>
        {
            Show();
            StateHasChanged();
        }));
        var window = Scorecards.IsWindow(Window) ? Window : null;
        await live.FollowAsync($"scorecards?window={window}", TimeSpan.FromMinutes(1),
            (services, cancellationToken) => services.GetRequiredService<Scorecards>().GetAsync(window, cancellationToken));
        Show();
    }

    private void Show()
    {
        if (live?.Current?.Value is not { } read)
        {
            return;
        }
        set = read;
        teams = set.Services.SelectMany(service => service.Objectives).Select(score => score.Objective.Team).Distinct().Order(StringComparer.Ordinal).ToList();
        shown = set.Services
            .Select(service => service with
            {
                Objectives = service.Objectives.Where(score => (Team is null || score.Objective.Team == Team) && (Priority is null || score.Objective.Priority == Priority)).ToList(),
            })
            .Where(service => service.Objectives.Count > 0)
            .ToList();
        var evaluated = set.Services.SelectMany(service => service.Objectives).Select(score => score.Evaluation?.EvaluatedAt).OfType<DateTimeOffset>().ToList();
        lastEvaluation = evaluated.Count > 0 ? evaluated.Max() : null;
    }

    private void Apply(params (string Name, string? Value)[] changes) =>
        Navigation.ReplaceQuery(new Dictionary<string, string?> { ["team"] = Team, ["priority"] = Priority, ["window"] = Window }, changes);

    private string ObjectiveHref(string id) => Navigation.GetUriWithQueryParameters(PortalLinks.Objective(id),
        new Dictionary<string, object?> { ["window"] = Scorecards.IsWindow(Window) ? Window : null });

    private string CsvHref => Scorecards.IsWindow(Window) ? $"/api/v1/scorecards.csv?window={Window}" : "/api/v1/scorecards.csv";

    public static string WindowName(string window) => window == "month" ? "calendar month" : $"rolling {window.TrimEnd('d')} days";

    // Shares are drawn and compared in percent; durations in their unit.
    private static double Scale(SliFigure figure, double value) => figure.Unit == "ratio" ? value * 100 : value;

    private static string DisplayUnit(SliFigure figure) => figure.Unit == "ratio" ? "%" : figure.Unit;

    private static string Change(ObjectiveScore score)
    {
        if (score.Value is not { } value || score.PreviousValue is not { } previous)
        {
            return "—";
        }
        var better = score.Figure.LowerIsBetter ? value < previous : value > previous;
        var text = score.Figure.Unit == "ratio"
            ? string.Create(CultureInfo.InvariantCulture, $"{(value - previous) * 100:+0.##;-0.##;0} pt")
            : previous == 0 ? "new" : string.Create(CultureInfo.InvariantCulture, $"{(value - previous) / previous * 100:+0;-0;0} %");
        return value == previous ? "no change" : $"{text} ({(better ? "better" : "worse")})";
    }

    public void Dispose() => live?.Dispose();
}
