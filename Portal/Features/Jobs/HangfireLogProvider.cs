using Hangfire.AspNetCore;
using Hangfire.Logging;

namespace Portal.Features.Jobs;

/// <summary>
/// Hangfire logs through one provider per process (a static), set by the last host configured: it writes to that
/// host's logger factory, and once that host has stopped while another in the process goes on (the tests run portals
/// side by side), asks for no logger from the disposed factory — Hangfire would throw creating its retry filter.
/// </summary>
internal sealed class HangfireLogProvider(ILoggerFactory loggerFactory) : ILogProvider
{
    private readonly AspNetCoreLogProvider inner = new(loggerFactory);

    public ILog GetLogger(string name)
    {
        try
        {
            return inner.GetLogger(name);
        }
        catch (ObjectDisposedException)
        {
            return Silent.Instance;
        }
    }

    private sealed class Silent : ILog
    {
        public static readonly Silent Instance = new();

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}
