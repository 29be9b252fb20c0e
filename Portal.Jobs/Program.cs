namespace Portal.Jobs;

// An explicit entry point: top-level statements would add a second global Program beside the portal's.
public static class Program
{
    public static Task<int> Main(string[] args) => JobsApplication.RunAsync(args);
}
