namespace Portal.Tests.Features.Queries;

/// <summary>
/// The classes that make sessions wait on each other's row locks on the shared cluster and count or cancel them: the
/// activity sampler and the Live activity page read the whole cluster's pg_stat_activity (every database), so side by
/// side each saw the other's waits (3 lock waits sampled where the test made 1; a cancel that waited out its time-out).
/// One after the other; the rest of the suite runs beside them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ClusterLockWaits
{
    public const string Name = "Lock waits on the shared cluster";
}
