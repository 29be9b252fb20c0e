using System.Globalization;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Portal.Components;

namespace Portal.Features.Audit;

public sealed partial class AuditLogPage
{
    [Inject]
    public required AuditLog Log { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [SupplyParameterFromQuery(Name = "actor")]
    public string? Actor { get; set; }

    [SupplyParameterFromQuery(Name = "action")]
    public string? Action { get; set; }

    [SupplyParameterFromQuery(Name = "text")]
    public string? Text { get; set; }

    /// <summary>First day shown (UTC, yyyy-MM-dd).</summary>
    [SupplyParameterFromQuery(Name = "from")]
    public string? From { get; set; }

    /// <summary>Last day shown (UTC, yyyy-MM-dd), inclusive.</summary>
    [SupplyParameterFromQuery(Name = "to")]
    public string? To { get; set; }

    private MudDataGrid<AuditEntry>? grid;
    private IReadOnlyList<string> actions = [];

    private DateRange Range => new(ParseDay(From), ParseDay(To));

    protected override async Task OnInitializedAsync() => actions = await Log.ActionsAsync();

    protected override async Task OnParametersSetAsync()
    {
        if (grid is not null)
        {
            await grid.ReloadServerData();
        }
    }

    private static DateTime? ParseDay(string? day) =>
        DateTime.TryParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : null;

    private static string? FormatDay(DateTime? day) => day?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private AuditQuery Query => new(
        string.IsNullOrWhiteSpace(Actor) ? null : Actor,
        string.IsNullOrWhiteSpace(Action) ? null : Action,
        string.IsNullOrWhiteSpace(Text) ? null : Text,
        ParseDay(From) is { } from ? new DateTimeOffset(from, TimeSpan.Zero) : null,
        ParseDay(To) is { } to ? new DateTimeOffset(to, TimeSpan.Zero).AddDays(1) : null);

    private async Task<GridData<AuditEntry>> LoadAsync(GridState<AuditEntry> state, CancellationToken cancellationToken)
    {
        var page = await Log.QueryAsync(Query, state.Page * state.PageSize, state.PageSize, cancellationToken);
        return new GridData<AuditEntry> { Items = page.Entries, TotalItems = page.Total };
    }

    private void ApplyRange(DateRange? range) => Apply(("from", FormatDay(range?.Start)), ("to", FormatDay(range?.End)));

    // Filters live in the address: changing one navigates, and OnParametersSet reloads the grid.
    private void Apply(params (string Name, string? Value)[] changes) => Navigation.ReplaceQuery(
        new Dictionary<string, string?> { ["actor"] = Actor, ["action"] = Action, ["text"] = Text, ["from"] = From, ["to"] = To }, changes);
}
