using MudBlazor;

namespace Portal.Components.Layout;

public static class PortalTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",
            Secondary = "#546e7a",
            AppbarBackground = "#283593",
            Background = "#f5f6fa",
            // Text and status colours with a contrast of at least 4.5:1 against the background, white chips' text and
            // each other (WCAG AA, as Lighthouse's accessibility audit checks); MudBlazor's defaults are 2.2–4.45.
            TextSecondary = "#5c5f66",
            Success = "#2e7d32",
            Error = "#c62828",
            Warning = "#b45309",
            Info = "#1565c0",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8c9eff",
            Secondary = "#90a4ae",
            AppbarBackground = "#1a1d2e",
            Background = "#121420",
            Surface = "#1c1f2e",
            DrawerBackground = "#171a28",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"] },
        },
    };
}
