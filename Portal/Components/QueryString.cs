using Microsoft.AspNetCore.Components;

namespace Portal.Components;

/// <summary>Filters kept in the address, so every view can be linked.</summary>
public static class QueryString
{
    /// <summary>Replaces the address's query with <paramref name="current"/> updated by <paramref name="changes"/> (empty values removed).</summary>
    public static void ReplaceQuery(this NavigationManager navigation, IReadOnlyDictionary<string, string?> current, params (string Name, string? Value)[] changes)
    {
        var query = current.ToDictionary(pair => pair.Key, pair => (object?)pair.Value);
        foreach (var (name, value) in changes)
        {
            query[name] = string.IsNullOrWhiteSpace(value) ? null : value;
        }
        navigation.NavigateTo(navigation.GetUriWithQueryParameters(query), replace: true);
    }
}
