using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Portal.Features.Alerts;
using Portal.Features.Auth;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Alerts;

/// <summary>
/// Time intervals on the clock (Alertmanager's semantics): a route muted from T0 to T0+6 min and again from T0+10 to
/// T0+14 min; <c>ClockBehind</c> fires from T0 and clears at T0+12. The firing held by the first mute is sent once when
/// it ends, the resolution held by the second when it ends; a recurring silence holds only within its intervals.
/// </summary>
public sealed class TimeIntervalTests : ClockAlertsTest
{
    protected override string Rules => $$$"""
        burn_rate: []
        time_intervals:
          - name: quiet
            time_intervals: {{{Times(T0, T0.AddMinutes(6))}}}
          - name: maintenance
            time_intervals: {{{Times(T0.AddMinutes(10), T0.AddMinutes(14))}}}
          - name: next-century
            time_intervals: [{ years: ["2099"] }]
        rules:
          - { name: ClockBehind, source: promql, query: "vector(time())", below: {{{ClearsAt.ToUnixTimeSeconds()}}}, severity: critical, labels: { service: checkout } }
        notifications:
          default: slack
          routes:
            - { match: { service: checkout }, to: slack, mute_time_intervals: [quiet, maintenance] }
        """;

    // [from, to) as `times` in UTC, split at midnight when it crosses it.
    private static string Times(DateTimeOffset from, DateTimeOffset to)
    {
        static string Clock(DateTimeOffset at) => at.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture);
        return from.UtcDateTime.Date == to.UtcDateTime.Date || to.UtcDateTime.TimeOfDay == TimeSpan.Zero
            ? $"[{{ times: [{{ start_time: '{Clock(from)}', end_time: '{(to.UtcDateTime.TimeOfDay == TimeSpan.Zero ? "24:00" : Clock(to))}' }}] }}]"
            : $"[{{ times: [{{ start_time: '{Clock(from)}', end_time: '24:00' }}, {{ start_time: '00:00', end_time: '{Clock(to)}' }}] }}]";
    }

    [Fact]
    public async Task AMuteThatEndsWhileTheAlertFires_SendsTheHeldFiringOnce_AndAHeldResolutionAtItsEnd()
    {
        foreach (var minute in new[] { 0, 1, 3, 5 })
        {
            await EvaluateAtAsync(T0.AddMinutes(minute));
        }
        Assert.Empty(await OutboxAsync()); // due at T0+1 (group wait over), held by the mute

        await EvaluateAtAsync(T0.AddMinutes(7)); // the mute is over: the held firing, at once
        await EvaluateAtAsync(T0.AddMinutes(8));
        await EvaluateAtAsync(T0.AddMinutes(9));
        var outbox = await OutboxAsync();
        Assert.Equal([(NotificationKinds.Firing, T0.AddMinutes(7))], outbox.Select(notification => (notification.Kind, notification.CreatedAt)));

        await EvaluateAtAsync(ClearsAt);              // T0+12: cleared, in the maintenance mute: held
        await EvaluateAtAsync(T0.AddMinutes(13));
        Assert.Single(await OutboxAsync());
        await EvaluateAtAsync(T0.AddMinutes(15));     // the mute is over: the resolution
        await EvaluateAtAsync(T0.AddMinutes(16));
        Assert.Equal([NotificationKinds.Firing, NotificationKinds.Resolved], (await OutboxAsync()).Select(notification => notification.Kind));

        await SendAllDueAsync();
        Assert.Equal(["[FIRING:1] ClockBehind — checkout", "[RESOLVED] ClockBehind — checkout"], Receiver.Messages.Select(message => message.Text));
    }

    [Fact]
    public async Task RecurringSilence_HoldsOnlyWithinItsIntervals_AndNamesAnUnknownOne()
    {
        using var admin = await ClientAsync(PortalRoles.Admin);
        using (var unknown = await admin.PostAsJsonAsync(new Uri("/api/v1/silences", UriKind.Relative),
            new { matchers = new { alertname = "ClockBehind" }, durationMinutes = 60 * 24 * 60, comment = "weekends", timeIntervals = (string[])["weekends"] }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
            Assert.Contains("timeIntervals: 'weekends' is not one of alerts.yaml's time_intervals (maintenance, next-century, quiet)", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var created = await admin.PostAsJsonAsync(new Uri("/api/v1/silences", UriKind.Relative),
            new { matchers = new { alertname = "ClockBehind" }, startsAt = T0, durationMinutes = 60 * 24 * 60, comment = "only in 2099", timeIntervals = (string[])["next-century"] }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode); // 60 days: a recurring silence may last a year
        }

        // Outside the route's mute, and outside the silence's interval: notified.
        await EvaluateAtAsync(T0.AddMinutes(7));
        await EvaluateAtAsync(T0.AddMinutes(8));
        Assert.Equal([NotificationKinds.Firing], (await OutboxAsync()).Select(notification => notification.Kind));

        var silences = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri("/api/v1/silences", UriKind.Relative));
        Assert.Equal("next-century", silences.EnumerateArray().Single().GetProperty("timeIntervals")[0].GetString());
    }
}
