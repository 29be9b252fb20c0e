using System.Globalization;
using Microsoft.AspNetCore.Components;
using Portal.Components;

namespace Portal.Features.Scorecards;

public sealed partial class ScorecardsPage : ComponentBase, IDisposable
{
    [Inject]
    public required SlaCatalogueSource Catalogue { get; init; }

    [Inject]
    public required Scorecards Scorecards { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [SupplyParameterFromQuery(Name = "team")]
    public string? Team { get; set; }

    [SupplyParameterFromQuery(Name = "priority")]
    public string? Priority { get; set; }

    [SupplyParameterFromQuery(Name = "window")]
    public string? Window { get; set; }

    private readonly CancellationTokenSource closed = new();
    private ScorecardSet? set;
    private IReadOnlyList<ServiceScore> shown = [];
    private IReadOnlyList<string> teams = [];
    private DateTimeOffset? lastEvaluation;

    protected override void OnInitialized() =>
        _ = PeriodicRefresh.RunAsync(TimeSpan.FromMinutes(1), () => InvokeAsync(async () => { await LoadAsync(); StateHasChanged(); }), closed.Token);

    protected override Task OnParametersSetAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        set = await Scorecards.GetAsync(Scorecards.IsWindow(Window) ? Window : null, closed.Token);
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

    private string ObjectiveHref(string id) => Navigation.GetUriWithQueryParameters($"/scorecards/objectives/{Uri.EscapeDataString(id)}",
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

    public void Dispose()
    {
        closed.Cancel();
        closed.Dispose();
    }
}
