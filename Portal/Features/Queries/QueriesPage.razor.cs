using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using MudBlazor;
using Portal.Components;

namespace Portal.Features.Queries;

public sealed partial class QueriesPage : RangedPage
{
    [Inject]
    public required QueryTargets Targets { get; init; }

    [Inject]
    public required TargetCheck Check { get; init; }

    [Inject]
    public required QueryStatistics Statistics { get; init; }

    [Inject]
    public required IOptions<QueryOptions> Options { get; init; }

    [SupplyParameterFromQuery(Name = "target")]
    public string? Target { get; set; }

    [SupplyParameterFromQuery(Name = "database")]
    public string? Database { get; set; }

    [SupplyParameterFromQuery(Name = "user")]
    public string? User { get; set; }

    [SupplyParameterFromQuery(Name = "search")]
    public string? Search { get; set; }

    [SupplyParameterFromQuery(Name = "flagged")]
    public string? Flagged { get; set; }

    private MudDataGrid<QueryRow>? grid;
    private TargetStatus? status;
    private TargetCoverage? coverage;
    private TopQueries? top;

    private string TargetName => Targets.Find(Target)?.Name ?? QueryOptions.PortalTarget;

    private bool FlaggedOnly => Flagged == "true";


    protected override async Task OnParametersSetAsync()
    {
        if (Targets.Find(TargetName) is { } target)
        {
            status = await Check.RunAsync(target);
            coverage = await Statistics.CoverageAsync(target.Name);
        }
        if (grid is not null)
        {
            await grid.ReloadServerData();
        }
    }

    private async Task<GridData<QueryRow>> LoadAsync(GridState<QueryRow> state, CancellationToken cancellationToken)
    {
        var sort = state.SortDefinitions.FirstOrDefault();
        var (from, to) = await Statistics.ResolveAsync(TargetName, Window.From, Window.To, cancellationToken);
        top = await Statistics.TopAsync(new TopQueriesRequest(TargetName, from, to, SortOf(sort?.SortBy), sort?.Descending ?? true,
            state.Page * state.PageSize, state.PageSize, Database, User, Search, FlaggedOnly), cancellationToken);
        StateHasChanged();
        return new GridData<QueryRow> { Items = top.Rows, TotalItems = top.TotalCount };
    }

    private static QuerySort SortOf(string? column) => column switch
    {
        nameof(QueryRow.MeanTimeMs) => QuerySort.MeanTime,
        nameof(QueryRow.Calls) => QuerySort.Calls,
        nameof(QueryRow.Rows) => QuerySort.Rows,
        nameof(QueryRow.SharedBlksRead) => QuerySort.SharedBlocksRead,
        nameof(QueryRow.TempBlks) => QuerySort.TempBlocks,
        _ => QuerySort.TotalTime,
    };

    private string DetailHref(QueryRow row)
    {
        var (range, from, to) = Window.ToQuery();
        return Navigation.GetUriWithQueryParameters($"/queries/{row.QueryId.ToString(CultureInfo.InvariantCulture)}",
            new Dictionary<string, object?> { ["target"] = TargetName, ["range"] = range, ["from"] = from, ["to"] = to });
    }

    public static string Shorten(string query)
    {
        var flat = string.Join(' ', query.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 200 ? flat : flat[..200] + "…";
    }

    public static string Milliseconds(double ms) => ms switch
    {
        >= 60_000 => Durations.InWords(TimeSpan.FromMilliseconds(ms)),
        >= 1_000 => (ms / 1_000).ToString("0.00", CultureInfo.InvariantCulture) + " s",
        >= 10 => ms.ToString("0", CultureInfo.InvariantCulture) + " ms",
        _ => ms.ToString("0.00", CultureInfo.InvariantCulture) + " ms",
    };

    protected override IReadOnlyDictionary<string, string?> Filters => new Dictionary<string, string?>
    {
        ["target"] = Target, ["database"] = Database, ["user"] = User, ["search"] = Search, ["flagged"] = Flagged,
    };
}
