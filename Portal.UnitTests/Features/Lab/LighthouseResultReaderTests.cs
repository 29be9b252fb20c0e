using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Features.Lab;

namespace Portal.UnitTests.Features.Lab;

/// <summary>
/// Lighthouse's JSON result as the reader takes it, in the shape Lighthouse 12 writes (the fields it reads; the real
/// thing, from real Lighthouse, is read in Portal.Tests' LabChecksTests) and as @lhci/cli uploads it.
/// </summary>
public sealed class LighthouseResultReaderTests
{
    private static JsonObject Result() => JsonNode.Parse("""
        {
          "lighthouseVersion": "12.2.3",
          "requestedUrl": "http://shop.test/checkout?step=1",
          "finalDisplayedUrl": "http://shop.test/checkout?step=1",
          "fetchTime": "2026-12-01T04:00:12.345Z",
          "configSettings": { "formFactor": "mobile" },
          "categories": {
            "performance": { "score": 0.87 }, "accessibility": { "score": 1 }, "best-practices": { "score": 0.96 }, "seo": { "score": null }
          },
          "audits": {
            "largest-contentful-paint": { "numericValue": 2456.7, "score": 0.86, "scoreDisplayMode": "numeric", "title": "Largest Contentful Paint", "displayValue": "2.5 s" },
            "total-blocking-time": { "numericValue": 120, "score": 0.97, "scoreDisplayMode": "numeric", "title": "Total Blocking Time" },
            "cumulative-layout-shift": { "numericValue": 0.012, "score": 1, "scoreDisplayMode": "numeric", "title": "Cumulative Layout Shift" },
            "first-contentful-paint": { "numericValue": 1800.5, "score": 0.9, "scoreDisplayMode": "numeric", "title": "First Contentful Paint" },
            "speed-index": { "numericValue": 3100, "score": 0.5, "scoreDisplayMode": "numeric", "title": "Speed Index" },
            "uses-responsive-images": { "score": 0, "scoreDisplayMode": "metricSavings", "title": "Properly size images", "displayValue": "Est savings of 120 KiB" },
            "color-contrast": { "score": 1, "scoreDisplayMode": "binary", "title": "Contrast" },
            "diagnostics": { "score": null, "scoreDisplayMode": "informative", "title": "Diagnostics" },
            "final-screenshot": { "score": null, "scoreDisplayMode": "informative" }
          }
        }
        """)!.AsObject();

    [Fact]
    public void Result_ScoresAsWrittenMetricsAndFailingAuditsWorstFirst()
    {
        var (result, _, problem) = LighthouseResultReader.Parse(JsonDocument.Parse(Result().ToJsonString()).RootElement);

        Assert.Null(problem);
        Assert.Equal("mobile", result!.Profile);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 4, 0, 12, 345, TimeSpan.Zero), result.FetchedAt);
        Assert.Equal(0.87, result.Performance);
        Assert.Equal(1, result.Accessibility);
        Assert.Equal(0.96, result.BestPractices);
        Assert.Null(result.Seo);
        Assert.Equal(87, LighthouseResult.Points(result.Performance));
        Assert.Equal((2456.7, 120d, 0.012, 1800.5, 3100d), (result.LcpMs!.Value, result.TbtMs!.Value, result.Cls!.Value, result.FcpMs!.Value, result.SpeedIndexMs!.Value));
        // Under 0.9, scored audits only, worst first: the image audit (0), Speed Index (0.5), LCP (0.86); FCP at 0.9 passes.
        Assert.Equal(["uses-responsive-images", "speed-index", "largest-contentful-paint"], result.Failing.Select(audit => audit.Id));
        Assert.Equal("Est savings of 120 KiB", result.Failing[0].DisplayValue);
    }

    [Fact]
    public void LhciUpload_LhrAsString_ReadAsTheResult()
    {
        var upload = new JsonObject { ["url"] = "http://shop.test/checkout", ["lhr"] = Result().ToJsonString(), ["representative"] = true };

        var (result, report, problem) = LighthouseResultReader.Parse(JsonDocument.Parse(upload.ToJsonString()).RootElement);

        Assert.Null(problem);
        Assert.Equal(0.87, result!.Performance);
        Assert.Equal("12.2.3", report.GetProperty("lighthouseVersion").GetString()); // the report kept is the LHR, not the envelope
    }

    [Theory]
    [InlineData("lighthouseVersion", "`lighthouseVersion`")]
    [InlineData("requestedUrl", "`requestedUrl`")]
    [InlineData("fetchTime", "`fetchTime`")]
    [InlineData("configSettings", "`configSettings.formFactor`")]
    [InlineData("categories", "`categories`")]
    [InlineData("audits", "`audits`")]
    public void Missing_ProblemNamesTheField(string field, string named)
    {
        var result = Result();
        result.Remove(field);

        var (parsed, _, problem) = LighthouseResultReader.Parse(JsonDocument.Parse(result.ToJsonString()).RootElement);

        Assert.Null(parsed);
        Assert.Contains(named, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("file:///etc/passwd")]
    [InlineData("/checkout")]
    public void RequestedUrl_NotAnHttpAddress_Refused(string url)
    {
        var result = Result();
        result["requestedUrl"] = url;

        var (parsed, _, problem) = LighthouseResultReader.Parse(JsonDocument.Parse(result.ToJsonString()).RootElement);

        Assert.Null(parsed);
        Assert.Equal("`requestedUrl` is missing or not an http(s) address", problem);
    }

    [Fact]
    public void ScoreOutOfRange_Refused()
    {
        var result = Result();
        result["categories"]!["performance"]!["score"] = 87;

        var (parsed, _, problem) = LighthouseResultReader.Parse(JsonDocument.Parse(result.ToJsonString()).RootElement);

        Assert.Null(parsed);
        Assert.Contains("categories.performance.score", problem, StringComparison.Ordinal);
    }
}
