using Xunit.Abstractions;
using Xunit.Sdk;

// Test classes run side by side: each has a database, a Redis key prefix, ports and folders of its own, and Hangfire's
// storage and job activator are per container (see AddJobStorage). The few in the Serial collection run alone once
// the others are done: they reset the shared cluster's statistics, or measure what a machine busy with other tests would skew.
// Four at a time on two cores: most of a test's time is waiting (for a portal to start, a job's schedule, a page).
// (Six ran the suite ~6 s faster, but a browser test failed once in its three runs, in the run's busiest first minute.)
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass, MaxParallelThreads = 4)]
[assembly: TestCollectionOrderer("Portal.Tests.Infrastructure.StartEarlyFirst", "Portal.Tests")]

namespace Portal.Tests.Infrastructure;

/// <summary>The collection of the test classes that run alone (see the assembly's <c>CollectionBehavior</c>).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Serial
{
    public const string Name = "Serial";
}

/// <summary>
/// A test class (or a collection's definition) that takes long (a minute or more on two cores): its collection starts
/// before the others, so that the parallel part of the run does not end waiting for one that started last.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class StartEarlyAttribute : Attribute
{
    /// <summary>Before the other early collections: the run's longest chain of tests.</summary>
    public bool First { get; init; }
}

/// <summary>Collections of <see cref="StartEarlyAttribute"/> classes first (those marked first before them), then the rest in xUnit's order.</summary>
public sealed class StartEarlyFirst : ITestCollectionOrderer
{
    private const string Prefix = "Test collection for ";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(collection => StartEarly(collection) switch { { First: true } => 0, not null => 1, null => 2 });

    /// <summary>The attribute on a named collection's definition, or on the class of a class's own collection.</summary>
    private static StartEarlyAttribute? StartEarly(ITestCollection collection)
    {
        var type = collection.CollectionDefinition is IReflectionTypeInfo definition ? definition.Type
            : collection.DisplayName.StartsWith(Prefix, StringComparison.Ordinal) ? typeof(StartEarlyFirst).Assembly.GetType(collection.DisplayName[Prefix.Length..])
            : null;
        return type?.GetCustomAttributes(typeof(StartEarlyAttribute), inherit: false).Cast<StartEarlyAttribute>().SingleOrDefault();
    }
}

/// <summary>A test that leaves its class's fixture changed for good (a replica killed): it runs after the class's other tests.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RunsLastAttribute : Attribute;

/// <summary>A class's tests in xUnit's default order, those marked <see cref="RunsLastAttribute"/> after the others.</summary>
public sealed class RunsLastOrderer(IMessageSink diagnostics) : ITestCaseOrderer
{
    private readonly DefaultTestCaseOrderer defaults = new(diagnostics);

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        defaults.OrderTestCases(testCases).OrderBy(testCase => testCase.TestMethod.Method.GetCustomAttributes(typeof(RunsLastAttribute)).Any() ? 1 : 0);
}
