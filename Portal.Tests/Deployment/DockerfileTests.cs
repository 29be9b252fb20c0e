using System.Net;
using System.Text.RegularExpressions;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Deployment;

/// <summary>The image's build stage, replayed file for file (no Docker engine here), ships what the runtime needs.</summary>
[Collection(ImageReplay.Name)]
public sealed partial class DockerfileTests
{
    [GeneratedRegex("src=\"(_framework/blazor\\.web\\.[^\"]+\\.js)\"")]
    private static partial Regex BlazorScript();

    [GeneratedRegex("<(?:link[^>]*\\shref|script[^>]*\\ssrc)=\"([^\"]+)\"")]
    private static partial Regex LinkedAsset();

    [Fact]
    public async Task ImageWebProcess_RestartedWithoutAHomeFolder_KeepsUsersSignedInAndFormsValid()
    {
        var image = (await DockerfileBuild.SharedAsync()).Image;
        await using var database = await TestDatabase.CreateAsync();

        var cookies = new CookieContainer();
        var anonymous = new CookieContainer(); // another browser, with the sign-in form open across the restart
        var (first, firstAddress) = await DockerfileBuild.StartWebAsync(image, database, "/nonexistent/first");
        string formToken;
        await using (first)
        {
            using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = firstAddress };
            using var signedIn = await SignIn.PostAsync(client, "admin", "container-Admin-1");
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            using var other = new HttpClient(new HttpClientHandler { CookieContainer = anonymous, AllowAutoRedirect = false }) { BaseAddress = firstAddress };
            formToken = await SignIn.AntiforgeryTokenAsync(other);
            var login = await other.GetStringAsync(new Uri("/login", UriKind.Relative));
            var script = BlazorScript().Match(login);
            Assert.True(script.Success, $"the page links no fingerprinted blazor.web.js:\n{login}");
            using var asset = await client.GetAsync(new Uri("/" + script.Groups[1].Value, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        }

        var (second, secondAddress) = await DockerfileBuild.StartWebAsync(image, database, "/nonexistent/second");
        await using (second)
        {
            using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = secondAddress };
            using var me = await client.GetAsync(new Uri("/api/v1/me", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            using var other = new HttpClient(new HttpClientHandler { CookieContainer = anonymous, AllowAutoRedirect = false }) { BaseAddress = secondAddress };
            using var posted = await other.PostAsync(new Uri("/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "login",
                ["__RequestVerificationToken"] = formToken,
                ["Input.Login"] = "admin",
                ["Input.Password"] = "container-Admin-1",
            }));
            Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        }
    }

    [Fact]
    public async Task BuildStage_Replayed_PublishesEverythingTheRuntimeNeeds()
    {
        var image = (await DockerfileBuild.SharedAsync()).Image;

        foreach (var process in new[] { "web", "jobs" })
        {
            foreach (var file in new[] { "appsettings.json", "slas.yaml", "alerts.yaml" })
            {
                Assert.True(File.Exists(Path.Combine(image, process, file)), $"{process}/{file} is missing from the image");
            }
        }
        Assert.True(File.Exists(Path.Combine(image, "jobs", "Portal.Jobs.dll")));
        Assert.True(File.Exists(Path.Combine(image, "web", "Portal.dll")));
        // The web root, with the npm packages the build copies into wwwroot/lib and the manifest MapStaticAssets reads.
        foreach (var file in new[] { "wwwroot/vitals.js", "wwwroot/lib/web-vitals/web-vitals.attribution.js", "wwwroot/lib/uplot/uPlot.esm.js", "Portal.staticwebassets.endpoints.json" })
        {
            Assert.True(File.Exists(Path.Combine(image, "web", file)), $"web/{file} is missing from the image");
        }
    }

    [Fact]
    public async Task ImageWebProcess_EveryAssetAPageLinks_SentBrotliAndImmutable()
    {
        var image = (await DockerfileBuild.SharedAsync()).Image;
        await using var database = await TestDatabase.CreateAsync();
        var (web, address) = await DockerfileBuild.StartWebAsync(image, database, "/nonexistent/assets");
        await using (web)
        {
            using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = address };
            using var signedIn = await SignIn.PostAsync(browser, "admin", "container-Admin-1");
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            var page = await browser.GetStringAsync(new Uri("/", UriKind.Relative));
            var assets = LinkedAsset().Matches(page).Select(match => match.Groups[1].Value).Distinct().ToList();
            Assert.Contains(assets, asset => asset.StartsWith("_content/MudBlazor/MudBlazor.min.", StringComparison.Ordinal) && asset.EndsWith(".css", StringComparison.Ordinal));

            using var raw = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = address };
            var failures = new List<string>();
            foreach (var asset in assets)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/" + asset, UriKind.Relative));
                request.Headers.AcceptEncoding.ParseAdd("br, gzip");
                using var response = await raw.SendAsync(request);
                var encoding = string.Join(",", response.Content.Headers.ContentEncoding);
                var cache = response.Headers.CacheControl?.ToString() ?? "";
                if (response.StatusCode != HttpStatusCode.OK || encoding != "br" || !cache.Contains("immutable", StringComparison.Ordinal))
                {
                    failures.Add($"{asset}: {(int)response.StatusCode}, Content-Encoding '{encoding}', Cache-Control '{cache}', {response.Content.Headers.ContentLength} bytes");
                }
            }
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }
    }

    [Fact]
    public async Task ImageWebProcess_SuccessfulPrometheusCalls_WriteNoLogLine()
    {
        var image = (await DockerfileBuild.SharedAsync()).Image;
        await using var database = await TestDatabase.CreateAsync();
        var (web, address) = await DockerfileBuild.StartWebAsync(image, database, "/nonexistent/logs");
        await using (web)
        {
            using var client = new HttpClient { BaseAddress = address };
            // The readiness probe asks Prometheus every second (Health:ProbeIntervalSeconds=1): several calls, all good.
            await Eventually.HoldsAsync(async () => (await client.GetStringAsync(new Uri("/readyz", UriKind.Relative))).Contains(
                "\"name\":\"prometheus\",\"status\":\"healthy\"", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "Prometheus healthy on /readyz");
            await Task.Delay(TimeSpan.FromSeconds(3));

            // Polly logged every attempt at Information ("Execution attempt … Result: '200'"): a line per call in production.
            Assert.DoesNotContain("Execution attempt", web.Output, StringComparison.Ordinal);
        }
    }
}
