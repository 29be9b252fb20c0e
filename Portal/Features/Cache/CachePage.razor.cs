using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace Portal.Features.Cache;

public sealed partial class CachePage : IDisposable
{
    private const int RefreshSeconds = 5;

    [Inject]
    public required CacheOverview Overview { get; init; }

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = default!;

    private RedisPanel? redis;
    private IReadOnlyList<CategoryPanel> categories = [];
    private string? message;
    private readonly CancellationTokenSource disposed = new();

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync();
        _ = RefreshAsync();
    }

    private async Task LoadAsync()
    {
        redis = await Overview.GetRedisAsync();
        categories = Overview.GetCategories();
    }

    private async Task RefreshAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(RefreshSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(disposed.Token))
            {
                await InvokeAsync(async () =>
                {
                    await LoadAsync();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
            // The page was closed.
        }
    }

    private async Task FlushAsync(string category)
    {
        await Overview.FlushAsync((await Authentication).User, category);
        message = $"{category} flushed from memory, Redis and PostgreSQL.";
        await LoadAsync();
    }

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => $"{bytes} B",
    };

    public void Dispose()
    {
        disposed.Cancel();
        disposed.Dispose();
    }
}
