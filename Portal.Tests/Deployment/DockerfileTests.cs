using Portal.Tests.Infrastructure;

namespace Portal.Tests.Deployment;

/// <summary>The image's build stage, replayed file for file (no Docker engine here), ships what the runtime needs.</summary>
public sealed class DockerfileTests
{
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
}
