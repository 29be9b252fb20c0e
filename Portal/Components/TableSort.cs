namespace Portal.Components;

/// <summary>
/// The sort of a <see cref="KeyedTable{TItem}"/>: its sortable columns by key, the one sorted on and the direction.
/// A header cell (<see cref="SortHeader"/>) toggles it; the page orders its rows with <see cref="Apply"/>.
/// </summary>
public sealed class TableSort<TItem>(params (string Key, Func<TItem, IComparable?> By)[] columns) : ITableSort
{
    private readonly Dictionary<string, Func<TItem, IComparable?>> columns = columns.ToDictionary(column => column.Key, column => column.By);

    public string? Key { get; private set; }

    public bool Descending { get; private set; }

    /// <summary>The first click sorts ascending, the second descending, the third restores the rows' own order.</summary>
    public void Toggle(string key)
    {
        if (!columns.ContainsKey(key))
        {
            throw new ArgumentException($"No sortable column '{key}'.", nameof(key));
        }
        (Key, Descending) = Key != key ? (key, false) : Descending ? (null, false) : (key, true);
    }

    public IReadOnlyList<TItem> Apply(IEnumerable<TItem> items)
    {
        if (Key is null)
        {
            return [.. items];
        }
        var by = columns[Key];
        return Descending ? [.. items.OrderByDescending(by)] : [.. items.OrderBy(by)];
    }

    public string? AriaSort(string key) => Key != key ? null : Descending ? "descending" : "ascending";
}

/// <summary>What a <see cref="SortHeader"/> needs of a <see cref="TableSort{TItem}"/>, whatever its rows.</summary>
public interface ITableSort
{
    void Toggle(string key);

    string? AriaSort(string key);
}
