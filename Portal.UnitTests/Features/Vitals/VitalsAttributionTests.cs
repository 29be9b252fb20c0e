using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Features.Vitals;

namespace Portal.UnitTests.Features.Vitals;

/// <summary>The attribution an event may carry, per metric: documented fields kept and checked, the rest dropped.</summary>
public sealed class VitalsAttributionTests
{
    private static (JsonObject? Stored, string? Error) Read(string metric, string json)
    {
        using var document = JsonDocument.Parse(json);
        var (stored, error) = VitalsAttribution.Read(metric, document.RootElement, "events[0].");
        return (stored is null ? null : JsonNode.Parse(stored)!.AsObject(), error);
    }

    [Fact]
    public void Lcp_KeepsItsSubpartsAndElement_AndDropsWhatIsNotDocumented()
    {
        var (stored, error) = Read("LCP", """
            {"target": "main > img.hero", "url": "/img/hero.jpg", "timeToFirstByte": 612.4, "resourceLoadDelay": 40, "resourceLoadDuration": 1310.25,
             "elementRenderDelay": 12.0004, "lcpEntry": {"huge": "object"}, "inputDelay": 5}
            """);

        Assert.Null(error);
        Assert.Equal(["target", "url", "timeToFirstByte", "resourceLoadDelay", "resourceLoadDuration", "elementRenderDelay"], stored!.Select(field => field.Key));
        Assert.Equal("main > img.hero", (string?)stored!["target"]);
        Assert.Equal(1310.3, (double)stored!["resourceLoadDuration"]!);
        Assert.Equal(12.0, (double)stored["elementRenderDelay"]!); // a tenth of a millisecond: the API's microseconds are noise here
        Assert.Equal(612.4, (double)stored["timeToFirstByte"]!);
    }

    [Fact]
    public void Inp_KeepsPhasesAndLongFrameScripts_WhatThePagesRead()
    {
        var (stored, error) = Read("INP", """
            {"target": "#buy", "type": "pointer", "loadState": "complete", "inputDelay": 2.1, "processingDuration": 301.5, "presentationDelay": 14.4,
             "scripts": [{"url": "https://shop.test/app.js", "fn": "slowHandler", "invoker": "BUTTON#buy.onclick", "invokerType": "event-listener", "duration": 300.2,
                          "subpart": "processing-duration", "sourceCharPosition": 17}]}
            """);

        Assert.Null(error);
        var script = stored!["scripts"]!.AsArray().Single()!.AsObject();
        Assert.Equal(["url", "fn", "invoker", "duration"], script.Select(field => field.Key));
        Assert.Equal(301.5, (double)stored["processingDuration"]!);
    }

    [Fact]
    public void Ttfb_KeepsServerTimingOnly_AndFcpNothing()
    {
        var (stored, error) = Read("TTFB", """{"waitingDuration": 1, "requestDuration": 130, "serverTiming": [{"desc": "queryid=42", "dur": 123, "name": "db"}, {"name": "cache"}]}""");

        Assert.Null(error);
        Assert.Equal("""{"serverTiming":[{"name":"db","dur":123,"desc":"queryid=42"},{"name":"cache"}]}""", stored!.ToJsonString());
        Assert.Equal((null, null), Read("FCP", """{"timeToFirstByte": 20, "firstByteToFCP": 300}"""));
    }

    [Fact]
    public void LongStrings_AreCutToTheirBound_EmptyListsAndNoFields_StoreNothing()
    {
        var (stored, _) = Read("CLS", $$"""{"target": "{{new string('a', 1000)}}"}""");
        Assert.Equal(256, ((string?)stored!["target"])!.Length);

        Assert.Equal((null, null), Read("INP", """{"scripts": [], "unknown": 1}"""));
        Assert.Equal("x", (string?)Read("LCP", "\"x\"").Stored!["target"]); // the first snippets sent the target alone
    }

    [Fact]
    public void LoneSurrogates_AreNotText_AndPairsAtTheBound_AreNotCutInHalf()
    {
        // Valid JSON, not text: the ingestion answers 400 for it (VitalsDiagnosticsTests), like any other string.
        Assert.Throws<InvalidOperationException>(() => Read("CLS", "{\"target\": \"\\ud800 x\"}"));

        var (cut, _) = Read("CLS", $$"""{"target": "{{new string('a', 255)}}😀"}""");
        Assert.Equal(new string('a', 255), (string?)cut!["target"]); // the emoji's two halves would cross the bound: both go
    }

    [Theory]
    [InlineData("LCP", """{"resourceLoadDuration": -1}""", "events[0].attribution.resourceLoadDuration: -1 is out of range (0 to 120000 ms)")]
    [InlineData("LCP", """{"resourceLoadDuration": "1200"}""", "events[0].attribution.resourceLoadDuration: \"1200\" is out of range (0 to 120000 ms)")]
    [InlineData("INP", """{"inputDelay": 1e9}""", "events[0].attribution.inputDelay: 1e9 is out of range (0 to 120000 ms)")]
    [InlineData("INP", """{"target": 12}""", "events[0].attribution.target: a string is expected")]
    [InlineData("INP", """{"scripts": {"fn": "x"}}""", "events[0].attribution.scripts: an array is expected")]
    [InlineData("INP", """{"scripts": [1]}""", "events[0].attribution.scripts[0]: an object is expected")]
    [InlineData("INP", """{"scripts": [{"duration": -3}]}""", "events[0].attribution.scripts[0].duration: -3 is out of range (0 to 120000 ms)")]
    [InlineData("INP", """{"scripts": [{},{},{},{}]}""", "events[0].attribution.scripts: 4 entries; at most 3")]
    [InlineData("TTFB", """{"serverTiming": [{"dur": 5}]}""", "events[0].attribution.serverTiming: every entry needs its name")]
    [InlineData("TTFB", """{"serverTiming": [{"name": "db", "dur": 120001}]}""", "events[0].attribution.serverTiming[0].dur: 120001 is out of range (0 to 120000 ms)")]
    [InlineData("CLS", "[1]", "events[0].attribution: an object is expected")]
    public void BadFields_AreNamed(string metric, string json, string expected) => Assert.Equal((null, expected), Read(metric, json));
}
