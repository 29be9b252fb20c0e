namespace Portal.Bench;

public static class Repository
{
    /// <summary>The checkout the benchmarks run from (the folder holding Portal.sln).</summary>
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Portal.sln")))
            {
                return directory.FullName;
            }
        }
        throw new FileNotFoundException("the repository root (Portal.sln) was not found above the benchmark's folder");
    }
}
