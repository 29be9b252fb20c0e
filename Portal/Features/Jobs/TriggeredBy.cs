using Hangfire.Client;

namespace Portal.Features.Jobs;

/// <summary>
/// Carries who pressed "Run now" into the Hangfire job it creates, as a job parameter written together with the job
/// (so the worker can never see the job without it).
/// </summary>
public sealed class TriggeredBy : IClientFilter
{
    public const string Parameter = "TriggeredBy";

    private static readonly AsyncLocal<string?> Current = new();

    /// <summary>Jobs created on this async flow until disposal are recorded as triggered by <paramref name="user"/>.</summary>
    public static IDisposable Scope(string user)
    {
        Current.Value = user;
        return new Reset();
    }

    public void OnCreating(CreatingContext context)
    {
        if (Current.Value is { } user)
        {
            context.SetJobParameter(Parameter, user);
        }
    }

    public void OnCreated(CreatedContext context)
    {
    }

    private sealed class Reset : IDisposable
    {
        public void Dispose() => Current.Value = null;
    }
}
