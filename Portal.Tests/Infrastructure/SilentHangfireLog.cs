using Hangfire.Logging;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// Hangfire keeps its log provider in static state; the in-process hosts of earlier tests leave theirs disposed.
/// Tests that use Hangfire's API outside a host install this one first.
/// </summary>
public sealed class SilentHangfireLog : ILogProvider, ILog
{
    public static void Install() => LogProvider.SetCurrentLogProvider(new SilentHangfireLog());

    public ILog GetLogger(string name) => this;

    public bool Log(LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
}
