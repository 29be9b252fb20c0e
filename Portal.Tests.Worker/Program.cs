using Portal.Jobs;

namespace Portal.Tests.Worker;

public static class Program
{
    public static Task<int> Main(string[] args) => JobsApplication.RunAsync(args, TestJobs.AddTo);
}
