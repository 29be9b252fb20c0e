using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Portal.Features.Alerts;

namespace Portal.UnitTests.Features.Alerts;

/// <summary>The message itself: title, colour, each alert's line, and the links to the page that explains it.</summary>
public sealed partial class SlackMessageTests
{
    private static readonly DateTimeOffset Since = new(2026, 11, 23, 8, 15, 0, TimeSpan.Zero);

    private static AlertInstance Alert(string severity, params (string Label, string Value)[] labels) => new()
    {
        Fingerprint = string.Join('-', labels.Select(label => label.Value)), RuleKey = "k", RuleName = "QueryTimeHigh", Severity = severity, Source = AlertSources.Query,
        State = AlertStates.Firing, Value = 2345.5, Threshold = 2000, ActiveSince = Since,
        Labels = labels.ToDictionary(label => label.Label, label => label.Value),
        Annotations = new Dictionary<string, string> { ["summary"] = "A statement takes {{ value }} ms a call", ["runbook"] = "https://runbooks.example/slow" },
    };

    private static AlertGroup Group => new("slack/QueryTimeHigh/checkout", "slack", "QueryTimeHigh", "checkout", [], Since, null);

    [Fact]
    public void Firing_TwoAlerts_TitleColourLinesAndLinksToTheirPages()
    {
        List<AlertInstance> alerts = [Alert("warning", ("service", "checkout"), ("target", "orders-db")), Alert("warning", ("service", "checkout"), ("app", "shop & co"))];

        var (title, payload) = SlackMessage.Build(NotificationKinds.Firing, Group, alerts, "https://portal.example/");

        using var message = JsonDocument.Parse(payload);
        Assert.Equal("[FIRING:2] QueryTimeHigh — checkout", title);
        Assert.Equal(title, message.RootElement.GetProperty("text").GetString());
        var attachment = message.RootElement.GetProperty("attachments")[0];
        Assert.Equal("#ECB22E", attachment.GetProperty("color").GetString());
        var texts = attachment.GetProperty("blocks").EnumerateArray().Select(block => block.TryGetProperty("text", out var text)
            ? text.GetProperty("text").GetString() : block.GetProperty("elements")[0].GetProperty("text").GetString()).ToList();
        Assert.Equal("• A statement takes 2345.5 ms a call — *2345.5* against 2000 (warning) since 2026-11-23 08:15 UTC\n_service=checkout, target=orders-db_", texts[1]);
        Assert.Equal(
            "<https://portal.example/alerts|Alerts> · <https://portal.example/queries?target=orders-db|Queries: orders-db> · "
            + "<https://portal.example/vitals?app=shop%20%26%20co|Web Vitals: shop &amp; co> · <https://runbooks.example/slow|Runbook>",
            texts[^1]);
    }

    [Fact]
    public void Resolved_IsGreen_AndSaysSo()
    {
        var (title, payload) = SlackMessage.Build(NotificationKinds.Resolved, Group, [Alert("critical", ("service", "checkout"))], null);

        using var message = JsonDocument.Parse(payload);
        Assert.Equal("[RESOLVED] QueryTimeHigh — checkout", title);
        Assert.Equal("#2EB67D", message.RootElement.GetProperty("attachments")[0].GetProperty("color").GetString());
        var line = message.RootElement.GetProperty("attachments")[0].GetProperty("blocks")[1].GetProperty("text").GetProperty("text").GetString();
        Assert.Equal("• A statement takes 2345.5 ms a call — resolved\n_service=checkout_", line);
    }

    [Fact]
    public void LongSummaryLabelsAndService_EveryTextWithinBlockKitsLimits_CutWithAnEllipsis_TheLineLinksToTheWholeAlert()
    {
        var alert = Alert("critical", ("service", "checkout"), ("target", new string('t', 2500) + " & <x>")) with
        {
            Annotations = new Dictionary<string, string>
            {
                ["summary"] = string.Concat(Enumerable.Repeat("Orders & <refunds> \U0001F600 ", 400)),
                ["runbook"] = "https://runbooks.example/" + new string('r', 600),
            },
        };
        var alerts = Enumerable.Range(0, 12).Select(index => alert with { Fingerprint = $"fp{index}" }).ToList();

        var (title, payload) = SlackMessage.Build(NotificationKinds.Firing, Group with { Service = new string('s', 400) }, alerts, "https://portal.example/");

        Assert.True(title.Length <= SlackMessage.TitleLimit, $"title of {title.Length}");
        Assert.EndsWith("…", title, StringComparison.Ordinal);
        using var message = JsonDocument.Parse(payload);
        var blocks = message.RootElement.GetProperty("attachments")[0].GetProperty("blocks").EnumerateArray().ToList();
        var texts = blocks.SelectMany(block => block.TryGetProperty("text", out var text) ? [text.GetProperty("text").GetString()!]
            : block.GetProperty("elements").EnumerateArray().Select(element => element.GetProperty("text").GetString()!)).ToList();
        Assert.All(texts, text =>
        {
            Assert.InRange(text.Length, 1, SlackMessage.TextLimit);
            Assert.DoesNotMatch(BrokenEscape(), text); // every & is Slack's escape, never cut inside one
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetByteCount(text); // no surrogate pair cut in two
        });
        var line = texts[1];
        Assert.Contains("Orders &amp; &lt;refunds&gt; \U0001F600 Orders", line, StringComparison.Ordinal);
        Assert.Contains("…", line, StringComparison.Ordinal);
        Assert.EndsWith(" <https://portal.example/alerts/fp0|the whole alert>", line, StringComparison.Ordinal);
        Assert.DoesNotContain("runbooks.example", texts[^1], StringComparison.Ordinal); // a link is whole or left out
        Assert.Contains("and 2 more", texts, StringComparer.Ordinal);
    }

    [Fact]
    public void ShortTexts_AreWhole_WithNoLinkToTheWholeAlert()
    {
        var (_, payload) = SlackMessage.Build(NotificationKinds.Firing, Group, [Alert("warning", ("service", "checkout"))], "https://portal.example/");

        Assert.DoesNotContain("the whole alert", payload, StringComparison.Ordinal);
        Assert.DoesNotContain("…", payload, StringComparison.Ordinal);
    }

    [GeneratedRegex("&(?!amp;|lt;|gt;)")]
    private static partial Regex BrokenEscape();
}
