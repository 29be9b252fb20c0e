namespace Portal.Tests.Infrastructure;

/// <summary>One <see cref="RunningPortal"/> shared by the tests of a class that do not disturb it.</summary>
public sealed class RunningPortalFixture : IAsyncLifetime
{
    public RunningPortal Running { get; private set; } = null!;

    public async Task InitializeAsync() => Running = await RunningPortal.StartAsync();

    public async Task DisposeAsync() => await Running.DisposeAsync();
}

/// <summary>
/// One <see cref="RunningPortal"/> with a Slack destination configured (at a port that answers nothing), shared by the
/// tests of a class: a test message let through would be queued and audited, which is what such tests look for.
/// </summary>
public sealed class RunningPortalWithSlackFixture : IAsyncLifetime
{
    public RunningPortal Running { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Running = await RunningPortal.StartAsync(settings: new Dictionary<string, string?> { ["Slack:WebhookUrl"] = "http://127.0.0.1:9/services/T0/B0/x" });

    public async Task DisposeAsync() => await Running.DisposeAsync();
}
