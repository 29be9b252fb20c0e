using Portal.Tests.Infrastructure;

namespace Portal.Tests.Deployment;

/// <summary>
/// The tests of the replayed image (<see cref="DockerfileBuild"/>): one after another in one collection, started
/// first — the replay takes about a minute and the Lighthouse audits of the pages it serves another, the longest chain
/// of the run; in a collection of their own the audits waited for the image while holding a parallel slot, or started
/// last and ran on alone.
/// </summary>
[CollectionDefinition(Name)]
[StartEarly(First = true)]
public sealed class ImageReplay
{
    public const string Name = "The replayed image";
}
