namespace Portal.Tests.Infrastructure;

/// <summary>One <see cref="RunningPortal"/> shared by the tests of a class that do not disturb it.</summary>
public sealed class RunningPortalFixture : IAsyncLifetime
{
    public RunningPortal Running { get; private set; } = null!;

    public async Task InitializeAsync() => Running = await RunningPortal.StartAsync();

    public async Task DisposeAsync() => await Running.DisposeAsync();
}
