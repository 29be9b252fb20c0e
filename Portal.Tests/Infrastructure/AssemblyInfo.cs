// Test classes run side by side: each has a database, a Redis key prefix, ports and folders of its own, and Hangfire's
// storage and job activator are per container (see AddJobStorage). The few in the Serial collection run alone once
// the others are done: they restart the shared PostgreSQL, or measure what a machine busy with other tests would skew.
// Four at a time on two cores: most of a test's time is waiting (for a portal to start, a job's schedule, a page).
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass, MaxParallelThreads = 4)]

namespace Portal.Tests.Infrastructure;

/// <summary>The collection of the test classes that run alone (see the assembly's <c>CollectionBehavior</c>).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Serial
{
    public const string Name = "Serial";
}
