using System.Diagnostics;
using System.Text.RegularExpressions;
using Npgsql;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// Someone else's PostgreSQL 15: a cluster of its own (data folder, port, superuser <c>postgres</c>), an application
/// role <c>shop</c> owning database <c>app</c>, and the monitoring role created with the README's own SQL (the block
/// under "Monitoring role for PostgreSQL targets"), as an operator would copy it. Stopped and removed when disposed.
/// </summary>
public sealed partial class SecondCluster : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private const string ClusterUser = "portalpg"; // initdb refuses root; ./portal test creates this user
    private const string SuperPassword = "Second-Super-1";

    public const string AppPassword = "Second-Shop-1";
    public const string MonitorPassword = "Second-Monitor-1";

    private readonly string folder;

    private SecondCluster(string folder, int port)
    {
        this.folder = folder;
        Port = port;
    }

    public int Port { get; }

    private string Data => Path.Combine(folder, "data");

    /// <summary>Connected as a role to a database of this cluster, over TCP with a password.</summary>
    public string ConnectionString(string user, string password, string database = "app") => ConnectionString(Port, user, password, database);

    private static string ConnectionString(int port, string user, string password, string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = port, Username = user, Password = password, Database = database, Pooling = false,
    }.ConnectionString;

    /// <summary>
    /// A standby of this cluster, built as an operator builds one: <c>pg_basebackup -R</c> through a replication slot of
    /// its name, started on a port of its own; its <c>cluster_name</c> is the name the primary lists it by. The backup
    /// starts with an immediate checkpoint (<c>--checkpoint=fast</c>): the default, spread one paces its writes over
    /// most of <c>checkpoint_timeout</c>, and the replication class took 100 s alone instead of 6, waiting with both
    /// cores idle (the last 40 s of the suite's parallel part).
    /// </summary>
    public async Task<Standby> StartStandbyAsync(string name)
    {
        var data = Path.Combine(folder, name);
        var port = LoopbackPort.Free();
        await RunAsPostgresAsync("/usr/bin/env", $"PGPASSWORD={SuperPassword}", $"{Bin}/pg_basebackup", "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", "postgres", "-D", data, "-R", "-X", "stream", "-C", "-S", name, "--checkpoint=fast");
        await RunAsPostgresAsync($"{Bin}/pg_ctl", "-D", data, "-l", Path.Combine(folder, name + ".log"), "-w", "-t", "60",
            "-o", $"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c cluster_name={name}", "start");
        return new Standby(data, port);
    }

    /// <summary>A standby of a <see cref="SecondCluster"/>: its roles and databases are the primary's. Stop it before the primary.</summary>
    public sealed class Standby(string data, int port) : IAsyncDisposable
    {
        public int Port => port;

        public string Superuser(string database = "app") => ConnectionString(port, "postgres", SuperPassword, database);

        public string Monitor => ConnectionString(port, "portal_monitor", MonitorPassword, "app");

        public async ValueTask DisposeAsync()
        {
            NpgsqlConnection.ClearAllPools();
            await RunAsPostgresAsync($"{Bin}/pg_ctl", "-D", data, "-m", "immediate", "-w", "-t", "60", "stop");
        }
    }

    public string Superuser(string database = "app") => ConnectionString("postgres", SuperPassword, database);

    /// <summary>Restarts the cluster as an operator would (fast shutdown: open sessions are ended), back once it accepts connections.</summary>
    public Task RestartAsync() =>
        RunAsPostgresAsync($"{Bin}/pg_ctl", "-D", Data, "-l", Path.Combine(folder, "postgres.log"), "-m", "fast", "-w", "-t", "60", "restart");

    public string App => ConnectionString("shop", AppPassword);

    public string Monitor => ConnectionString("portal_monitor", MonitorPassword);

    /// <summary>The README's SQL for the monitoring role, its password and database filled in.</summary>
    public static IReadOnlyList<string> ReadmeMonitoringSql()
    {
        var readme = File.ReadAllText(Repository.File("README.md"));
        var section = readme[readme.IndexOf("### Monitoring role for PostgreSQL targets", StringComparison.Ordinal)..];
        var block = SqlBlock().Match(section).Groups[1].Value;
        return block.Split('\n')
            .Select(line => CommentOf().Replace(line, "").Trim())
            .Where(line => line.Length > 0)
            .Select(line => line.TrimEnd(';').Replace("'…'", $"'{MonitorPassword}'", StringComparison.Ordinal))
            .ToList();
    }

    /// <param name="settings">More server settings, <c>name=value</c> (<c>pg_stat_statements.max=100</c>).</param>
    public static async Task<SecondCluster> StartAsync(params string[] settings)
    {
        var folder = Directory.CreateTempSubdirectory("portal-second-cluster-").FullName;
        var cluster = new SecondCluster(folder, LoopbackPort.Free());
        var passwordFile = Path.Combine(folder, "password");
        await File.WriteAllTextAsync(passwordFile, SuperPassword);
        Directory.CreateDirectory(cluster.Data);
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", "-R", ClusterUser, folder);
            await RunAsync("chmod", "o+x", folder);
        }
        await RunAsPostgresAsync($"{Bin}/initdb", "-D", cluster.Data, "-U", "postgres", $"--pwfile={passwordFile}", "--auth=scram-sha-256", "-E", "UTF8", "--no-locale");
        await RunAsPostgresAsync($"{Bin}/pg_ctl", "-D", cluster.Data, "-l", Path.Combine(folder, "postgres.log"), "-w", "-t", "60",
            "-o", $"-p {cluster.Port} -k {cluster.Data} -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pg_stat_statements -c track_io_timing=on{string.Concat(settings.Select(setting => $" -c {setting}"))}", "start");

        await ExecuteAsync(cluster.Superuser("postgres"), $"CREATE ROLE shop LOGIN PASSWORD '{AppPassword}'", "CREATE DATABASE app OWNER shop");
        // The README's SQL, as an operator runs it: roles on the cluster, the extension in the monitored database.
        await ExecuteAsync(cluster.Superuser(), [.. ReadmeMonitoringSql()]);
        return cluster;
    }

    /// <summary>pgbench against database <c>app</c> as <c>shop</c> (its password in the environment).</summary>
    public Task PgbenchAsync(params string[] arguments) =>
        RunAsync($"{Bin}/pgbench", ["-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "shop", .. arguments, "app"],
            new Dictionary<string, string> { ["PGPASSWORD"] = AppPassword });

    public static async Task ExecuteAsync(string connectionString, params string[] statements)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var statement in statements)
        {
            await using var command = new NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunAsPostgresAsync($"{Bin}/pg_ctl", "-D", Data, "-m", "immediate", "-w", "-t", "60", "stop");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Task RunAsPostgresAsync(string file, params string[] arguments) =>
        Environment.UserName == "root" ? RunAsync("runuser", ["-u", ClusterUser, "--", file, .. arguments]) : RunAsync(file, arguments);

    private static Task RunAsync(string file, params string[] arguments) => RunAsync(file, arguments, null);

    private static async Task RunAsync(string file, string[] arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output}\n{await errors}");
        }
    }

    [GeneratedRegex("```sql\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex SqlBlock();

    [GeneratedRegex("--.*$")]
    private static partial Regex CommentOf();
}
