using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace Portal.Features.Reports;

public sealed partial class ReportsPage : ComponentBase
{
    [Inject]
    public required ReportArchive Archive { get; init; }

    [Inject]
    public required ReportSubscriptions Subscriptions { get; init; }

    [Inject]
    public required BaselineReportBuilder Builder { get; init; }

    [Inject]
    public required ReportMail Mail { get; init; }

    [Inject]
    public required Reports Reports { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [CascadingParameter]
    public required Task<AuthenticationState> Authentication { get; set; }

    /// <summary>The browser's time zone, cascaded by the layout; the default of new subscriptions and previews.</summary>
    [CascadingParameter(Name = "ViewerTimeZone")]
    public TimeZoneInfo? ViewerTimeZone { get; set; }

    private IReadOnlyList<ArchivedReport> archived = [];
    private IReadOnlyList<ReportSubscription> subscriptions = [];
    private Dictionary<long, string> pausedBecause = [];
    private DateTimeOffset now;
    private string? filter;
    private string? previewHtml;
    private bool previewing;
    private string? message;
    private bool messageIsError;

    private string TimeZone => ViewerTimeZone?.Id ?? "UTC";

    protected override Task OnInitializedAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        now = Time.GetUtcNow();
        archived = await Archive.ListAsync();
        subscriptions = await Subscriptions.ListAsync((await Authentication).User);
        pausedBecause = [];
        foreach (var subscription in subscriptions)
        {
            if (await Subscriptions.PausedBecauseAsync(subscription) is { } reason)
            {
                pausedBecause[subscription.Id] = reason;
            }
        }
    }

    private bool Matches(ArchivedReport report) => string.IsNullOrWhiteSpace(filter)
        || $"{report.Subject} {report.Health} {report.GeneratedBy}".Contains(filter, StringComparison.OrdinalIgnoreCase);

    private string NextSend(ReportSubscription subscription) =>
        TimeZoneInfo.ConvertTime(subscription.NextSendAfter(now), TimeZoneInfo.FindSystemTimeZoneById(subscription.TimeZone))
            .ToString("ddd d MMM HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    private async Task SubscribeAsync()
    {
        var dialog = await Dialogs.ShowAsync<SubscriptionDialog>("Subscribe", new DialogParameters<SubscriptionDialog> { { dialog => dialog.TimeZone, TimeZone } });
        if (await dialog.Result is { Canceled: false, Data: ReportSubscription created })
        {
            (message, messageIsError) = ($"Subscribed: {string.Join(", ", created.Recipients)} will receive the report {created.Describe()}.", false);
            await LoadAsync();
        }
    }

    private async Task DeleteAsync(ReportSubscription subscription)
    {
        var deleted = await Subscriptions.DeleteAsync((await Authentication).User, subscription.Id);
        (message, messageIsError) = deleted ? ("The subscription is deleted.", false) : ("Only its creator or an admin can delete this subscription.", true);
        await LoadAsync();
    }

    // The last whole week's report for everything (or the week so far), computed now and shown in the page; nothing is archived or sent.
    private async Task PreviewAsync(bool soFar)
    {
        previewing = true;
        StateHasChanged();
        try
        {
            var now = Time.GetUtcNow();
            var report = await Builder.BuildAsync(ReportScope.Everything,
                soFar ? ReportPeriod.SoFar(ReportSchedules.Weekly, now, TimeZone) : ReportPeriod.Last(ReportSchedules.Weekly, now, TimeZone));
            previewHtml = await Mail.ArchiveHtmlAsync(report, Reports.PortalUrl);
        }
        finally
        {
            previewing = false;
        }
    }

    private async Task SendPreviewAsync()
    {
        var dialog = await Dialogs.ShowAsync<SendReportDialog>("Send me a preview now", new DialogParameters<SendReportDialog> { { dialog => dialog.TimeZone, TimeZone } });
        if (await dialog.Result is { Canceled: false, Data: string sent })
        {
            (message, messageIsError) = (sent, false);
            await LoadAsync();
        }
    }
}
