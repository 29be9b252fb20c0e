namespace Portal.Tests.Infrastructure;

/// <summary>Files of the repository the tests were built from (the configuration files at its root).</summary>
public static class Repository
{
    public static string File(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(directory.FullName, "Portal.sln")))
            {
                return Path.Combine(directory.FullName, name);
            }
        }
        throw new FileNotFoundException("the repository root (Portal.sln) was not found above the test's folder");
    }
}
