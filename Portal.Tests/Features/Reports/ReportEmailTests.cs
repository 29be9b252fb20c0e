using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Npgsql;
using Portal.Features.Auth;
using Portal.Features.Reports;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Features.Reports;

/// <summary>
/// A report generated over a fixture week of Web Vitals (known page loads on two pages, and a previous week) and sent
/// through a real SMTP server: the figures against a computation of their own, and the message as MimeKit reads it.
/// </summary>
public sealed class ReportEmailTests(Chromium chromium) : ReportMailTest, IClassFixture<Chromium>
{
    private readonly ReportPeriod week = ReportPeriod.Last(ReportSchedules.Weekly, DateTimeOffset.UtcNow, "UTC");

    // LCP values (ms) of the week's page views: /checkout slow, /home fast; and of the week before (all /home).
    private static readonly double[] Checkout = [2_600, 3_100, 3_400, 3_900, 4_200, 4_800, 5_200, 6_000];
    private static readonly double[] Home = [900, 1_000, 1_100, 1_200, 1_300, 1_400, 1_500, 1_600, 1_700, 1_800, 1_900, 2_000];
    private static readonly double[] Before = [1_000, 1_200, 1_400, 1_600, 1_800, 2_000];

    protected override async Task SeedAsync(NpgsqlConnection connection)
    {
        await base.SeedAsync(connection);
        async Task InsertAsync(string page, IEnumerable<double> values, DateTimeOffset from)
        {
            foreach (var (value, index) in values.Select((value, index) => (value, index)))
            {
                await connection.ExecuteAsync("""
                    INSERT INTO vitals_events (app, received_at, metric, value, delta, rating, event_id, page, device)
                    VALUES ('portal', @at, 'LCP', @value, @value, 'good', @id, @page, 'desktop')
                    """, new { at = from.AddHours(1 + index * 3), value, id = $"{page}-{from:yyyyMMdd}-{index}", page });
            }
        }
        await InsertAsync("/checkout", Checkout, week.Start);
        await InsertAsync("/home", Home, week.Start.AddDays(2));
        await InsertAsync("/home", Before, week.Previous.Start);
    }

    private async Task<HttpClient> ClientAsync(string role)
    {
        var client = App.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await App.TokenAsync(role));
        return client;
    }

    private static readonly string[] Portal = ["portal"];
    // In Paris time: a week from Sunday 23:00 UTC (found by trying it: a zone's offset must not reach PostgreSQL).
    private static readonly object Preview = new { to = "lead@example.com", scope = new { apps = Portal, services = Portal, targets = Portal }, timeZone = "Europe/Paris" };

    [Fact]
    public async Task PageLoad_AndItsOpportunities_EqualTheirOwnComputation()
    {
        var report = await App.Services.GetRequiredService<BaselineReportBuilder>().BuildAsync(new ReportScope(["portal"], ["portal"], ["portal"]), week);

        var pageLoad = report.KeyMetrics.Single(metric => metric.Name == BaselineReportBuilder.Names.PageLoad);
        Assert.Equal(Expected.PercentileCont(Checkout.Concat(Home), 0.95), pageLoad.Current!.Value, 6);
        Assert.Equal(Expected.PercentileCont(Before, 0.95), pageLoad.Previous!.Value, 6);
        Assert.Equal(MetricStatus.NotMet, pageLoad.Status);                     // 5,620 ms against ≤ 2,500 ms
        Assert.Equal(20, report.Coverage.PageViews);
        // /checkout's p75 is over "good" (2.5 s): (p75 − 2,500) × 8 views of waiting; /home's is under and no opportunity.
        var frontend = Assert.Single(report.Opportunities, opportunity => opportunity.Kind == "frontend");
        Assert.Equal((Expected.PercentileCont(Checkout, 0.75) - 2_500) * Checkout.Length, frontend.ImpactMs, 6);
        Assert.Contains("/checkout", frontend.Title, StringComparison.Ordinal);
        Assert.Equal("/vitals/page?app=portal&path=%2Fcheckout&metric=LCP", frontend.Link);
        Assert.Equal("Weekly performance baseline — portal — week of " + week.FirstDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), report.Subject);
    }

    [Fact]
    public async Task Preview_SendsOneMultipartMessage_HtmlTextInlineChartsAndTheCsv_AndArchivesIt()
    {
        using var admin = await ClientAsync(PortalRoles.Admin);

        var response = await admin.PostAsJsonAsync(new Uri("/api/v1/reports/preview", UriKind.Relative), Preview);

        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var message = Assert.Single(Smtp.Messages());
        Assert.Equal($"Weekly performance baseline — portal — week of {week.FirstDay:yyyy-MM-dd}", message.Subject);
        Assert.Equal("lead@example.com", Assert.Single(message.To.Mailboxes).Address);
        Assert.Equal("portal@example.com", Assert.Single(message.From.Mailboxes).Address);
        var mixed = Assert.IsType<Multipart>(message.Body);
        var alternative = Assert.IsType<MultipartAlternative>(mixed[0]);
        var text = Assert.IsType<TextPart>(alternative.First());
        Assert.True(text.IsPlain);
        Assert.Contains("KEY METRICS", text.Text, StringComparison.Ordinal);
        var related = Assert.IsType<MultipartRelated>(alternative.Last());
        var html = Assert.IsType<TextPart>(related.Root);
        Assert.True(html.IsHtml);
        Assert.DoesNotContain("<script", html.Text, StringComparison.OrdinalIgnoreCase);
        var images = related.OfType<MimePart>().Where(part => part.ContentType.MimeType == "image/png").ToList();
        Assert.Contains(images, image => image.ContentId == ReportCharts.Daily);
        Assert.All(images, image => Assert.Contains($"src=\"cid:{image.ContentId}\"", html.Text, StringComparison.Ordinal));
        var csv = Assert.Single(message.Attachments.OfType<MimePart>());
        Assert.Equal(ReportMail.CsvName, csv.FileName);
        using var content = new MemoryStream();
        await csv.Content!.DecodeToAsync(content);
        var lines = System.Text.Encoding.UTF8.GetString(content.ToArray()).Split('\n');
        Assert.Equal("metric,source,unit,current,previous,target,lower_is_better,status,change", lines[0]);
        // The figure to its fifteen significant digits (the CSV carries no floating-point noise).
        Assert.StartsWith("Page load p95,Web Vitals (LCP p95),ms,", lines[1], StringComparison.Ordinal);
        Assert.Equal(Expected.PercentileCont(Checkout.Concat(Home), 0.95), double.Parse(lines[1].Split(',')[3], CultureInfo.InvariantCulture), 9);

        var archive = App.Services.GetRequiredService<ReportArchive>();
        var listed = Assert.Single(await archive.ListAsync());
        Assert.Equal((message.Subject, ReportHealth.NeedsImprovement), (listed.Subject, listed.Health)); // one key metric missed, the rest without data
        using var data = await admin.GetFromJsonAsync<System.Text.Json.JsonDocument>(new Uri($"/api/v1/reports/{listed.Id}", UriKind.Relative));
        Assert.Equal(20, data!.RootElement.GetProperty("coverage").GetProperty("pageViews").GetInt32());

        // The archived HTML (charts inline) as a browser shows it.
        var page = await chromium.NewPageAsync();
        await page.SetContentAsync((await archive.GetAsync(listed.Id))!.Value.Html);
        Assert.Equal(Expected.PercentileCont(Checkout.Concat(Home), 0.95), double.Parse(
            (await page.Locator("[data-metric='Page load p95'] [data-value]").InnerTextAsync()).Replace(" s", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) * 1000, 0);
        await Chromium.ScreenshotAsync(page, "report-email", fullPage: true);
    }

    [Fact]
    public async Task Preview_BadInput_Is400NamingTheProblem_AndSendsNothing()
    {
        using var admin = await ClientAsync(PortalRoles.Admin);

        var noAddress = await admin.PostAsJsonAsync(new Uri("/api/v1/reports/preview", UriKind.Relative), new { scope = new { services = Portal } });
        var badZone = await admin.PostAsJsonAsync(new Uri("/api/v1/reports/preview", UriKind.Relative), new { to = "lead@example.com", timeZone = "Mars/Olympus" });
        var badSchedule = await admin.PostAsJsonAsync(new Uri("/api/v1/reports/preview", UriKind.Relative), new { to = "lead@example.com", schedule = "hourly" });

        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest], new[] { noAddress.StatusCode, badZone.StatusCode, badSchedule.StatusCode });
        Assert.Contains("to: one e-mail address", await noAddress.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("'Mars/Olympus' is not a time zone", await badZone.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("schedule: one of weekly, daily, monthly", await badSchedule.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(Smtp.Messages());
        Assert.Empty(await App.Services.GetRequiredService<ReportArchive>().ListAsync());
    }

    [Fact]
    public async Task Preview_SmtpDown_Is502NamingIt_TheReportStaysInTheArchive()
    {
        await Smtp.StopAsync();
        using var admin = await ClientAsync(PortalRoles.Admin);

        var response = await admin.PostAsJsonAsync(new Uri("/api/v1/reports/preview", UriKind.Relative), Preview);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("The SMTP server did not take the message", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(await App.Services.GetRequiredService<ReportArchive>().ListAsync());
    }
}
