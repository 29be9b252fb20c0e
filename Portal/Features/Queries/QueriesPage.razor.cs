using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Portal.Components;

namespace Portal.Features.Queries;

public sealed partial class QueriesPage : RangedPage, IDisposable
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

    /// <summary><c>all</c>: every statement, not only the target's scope (its monitoring role, postgres and exporters left out).</summary>
    [SupplyParameterFromQuery(Name = "scope")]
    public string? Scope { get; set; }

    [SupplyParameterFromQuery(Name = "sort")]
    public string? Sort { get; set; }

    [SupplyParameterFromQuery(Name = "order")]
    public string? Order { get; set; }

    [SupplyParameterFromQuery(Name = "page")]
    public int? Page { get; set; }

    [SupplyParameterFromQuery(Name = "size")]
    public int? Size { get; set; }

    [Inject]
    public required PersistentComponentState State { get; init; }

    private static readonly int[] PageSizes = [25, 50, 100, 250];

    /// <summary>The numeric columns after Statement, with the sort each orders by (the API's <c>sort</c> names).</summary>
    private static readonly (QuerySort? Sort, string Title)[] Columns =
    [
        (QuerySort.TotalTime, "Total time"), (null, "Share"), (QuerySort.Calls, "Calls"), (QuerySort.MeanTime, "Mean"), (QuerySort.Rows, "Rows"),
        (null, "Cache hit"), (QuerySort.SharedBlocksRead, "Blocks read"), (QuerySort.TempBlocks, "Temp blocks"),
    ];

    // The target's check is not carried: its status holds the target's connection settings.
    private PrerenderedReads<QueriesPageData>? prerendered;
    private string? shownKey;
    private int shownOffset; // of the rows shown: until a new page's rows arrive, the old ones and their numbers
    private TargetStatus? status;
    private TargetCoverage? coverage;
    private TopQueries? top;

    private QuerySort SortBy => QueriesEndpoints.TryParseSort(Sort, out var sort) ? sort : QuerySort.TotalTime;

    private bool Ascending => Order == "asc";

    private int PageSize => Size is { } size && PageSizes.Contains(size) ? size : PageSizes[0];

    // Bounded: ?page=99999999 made the offset overflow to a negative number, which PostgreSQL refuses (the page failed).
    private int PageNumber => Math.Clamp(Page ?? 1, 1, 100_000);

    private int Offset => (PageNumber - 1) * PageSize;

    private string TargetName => Targets.Find(Target)?.Name ?? QueryOptions.PortalTarget;

    private bool FlaggedOnly => Flagged == "true";

    private bool EveryStatement => Scope == "all";


    protected override async Task OnParametersSetAsync()
    {
        var key = Navigation.ToBaseRelativePath(Navigation.Uri);
        prerendered ??= new PrerenderedReads<QueriesPageData>(State, "queries-page");
        if (prerendered.TryTake(out var data) && data!.Key == key)
        {
            (coverage, top, shownOffset, shownKey) = (data.Coverage, data.Top, data.Offset, key);
        }
        if (Targets.Find(TargetName) is not { } target)
        {
            return;
        }
        status = await Check.RunAsync(target);
        if (shownKey != key)
        {
            coverage = await Statistics.CoverageAsync(target.Name);
            var (from, to) = await Statistics.ResolveAsync(target.Name, Window);
            top = await Statistics.TopAsync(new TopQueriesRequest(target.Name, from, to, SortBy, !Ascending, Offset, PageSize, Database, User, Search, FlaggedOnly)
            {
                InScope = !EveryStatement,
            });
            // The page shows a statement's first 200 characters: only those are kept (and carried into the circuit).
            top = top with { Rows = [.. top.Rows.Select(row => row with { Query = SqlText.OneLine(row.Query) })] };
            (shownOffset, shownKey) = (Offset, key);
            prerendered.Keep(new QueriesPageData(key, coverage, top, Offset));
        }
    }

    private static Task<IEnumerable<string>> Matching(IReadOnlyList<string>? names, string? text) => Task.FromResult(
        (names ?? []).Where(name => string.IsNullOrWhiteSpace(text) || name.Contains(text, StringComparison.OrdinalIgnoreCase)));

    private string? AriaSort(QuerySort sort) => sort != SortBy ? null : Ascending ? "ascending" : "descending";

    private string Arrow(QuerySort sort) => sort != SortBy ? "" : Ascending ? "↑" : "↓";

    /// <summary>The first click on a column sorts it from the largest; the next one reverses it. Back to the first page.</summary>
    private string SortHref(QuerySort sort) => Navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
    {
        ["sort"] = sort == QuerySort.TotalTime ? null : QueriesEndpoints.SortName(sort),
        ["order"] = sort == SortBy && !Ascending ? "asc" : null,
        ["page"] = null,
    });

    private string PageHref(int page, int size) => Navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
    {
        ["page"] = page == 1 ? null : page,
        ["size"] = size == PageSizes[0] ? null : size,
    });

    private string DetailHref(QueryRow row)
    {
        var (range, from, to) = Window.ToQuery();
        return Navigation.GetUriWithQueryParameters(PortalLinks.Statement(TargetName, row.QueryId),
            new Dictionary<string, object?> { ["range"] = range, ["from"] = from, ["to"] = to });
    }

    protected override IReadOnlyDictionary<string, string?> Filters => new Dictionary<string, string?>
    {
        ["target"] = Target, ["database"] = Database, ["user"] = User, ["search"] = Search, ["flagged"] = Flagged, ["scope"] = Scope,
        ["sort"] = Sort, ["order"] = Order, ["size"] = Size?.ToString(CultureInfo.InvariantCulture), // a new filter starts again from the first page
    };

    public void Dispose() => prerendered?.Dispose();
}

/// <summary>The Queries page's reads for one address (<see cref="Key"/>).</summary>
public sealed record QueriesPageData(string Key, TargetCoverage Coverage, TopQueries Top, int Offset);
