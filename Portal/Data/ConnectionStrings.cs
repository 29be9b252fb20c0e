namespace Portal.Data;

public static class ConnectionStrings
{
    /// <summary>The named connection string, or a start-up error that says how to set it.</summary>
    public static string GetRequiredConnectionString(this IConfiguration configuration, string name, string bundledBy)
    {
        var connectionString = configuration.GetConnectionString(name);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{name} is not set. `./portal up` sets it for the bundled {bundledBy}; " +
                $"set ConnectionStrings__{name} to use another server.");
        }
        return connectionString;
    }
}
