namespace Portal.Components;

/// <summary>One of a page's views in <see cref="ViewTabs"/>: its key in the address, its title, and a count to flag (shown when above 0).</summary>
public sealed record ViewTab(string Key, string Text, int? Badge = null);
