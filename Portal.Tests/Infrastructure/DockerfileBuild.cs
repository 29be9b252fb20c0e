using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// The Dockerfile's build stage replayed without a Docker engine (none runs on these machines): an empty folder gets
/// exactly the files its <c>COPY</c> lines copy from the build context (minus <c>.dockerignore</c>), then its
/// <c>dotnet</c> lines run there as written, with the container's absolute folders (<c>/src</c>, <c>/app</c>) mapped
/// into the folder. What the runtime stage copies from the build (<c>COPY --from=build /app /app</c>) is
/// <see cref="Image"/>. Done once per test run: every test that needs the image shares it.
/// </summary>
public sealed partial class DockerfileBuild
{
    private static readonly Lazy<Task<DockerfileBuild>> Shared = new(() => ReplayAsync(Repository.File("Dockerfile")));

    private DockerfileBuild(string root, string image)
    {
        Root = root;
        Image = image;
    }

    /// <summary>The folder standing for the container's file system.</summary>
    public string Root { get; }

    /// <summary>The folder the runtime stage copies from the build stage, as it lies in the build's file system.</summary>
    public string Image { get; }

    public static Task<DockerfileBuild> SharedAsync() => Shared.Value;

    /// <summary>The image's web process as its entry point starts it: no home folder, as in a container.</summary>
    public static async Task<(PortalProcess Process, Uri Address)> StartWebAsync(string image, TestDatabase database, string home, Dictionary<string, string?>? settingsForTest = null)
    {
        var port = LoopbackPort.Free();
        var settings = settingsForTest ?? PortalSettings.For(database);
        settings.Remove("Scorecards:CatalogueFile"); // the image's own catalogue
        settings["ASPNETCORE_HTTP_PORTS"] = null;
        settings["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        settings["PORTAL_ADMIN_PASSWORD"] = "container-Admin-1";
        var process = PortalProcess.StartPublished(Path.Combine(image, "web"), "Portal.dll", settings, home);
        var address = new Uri($"http://127.0.0.1:{port}");
        using var probe = new HttpClient { BaseAddress = address };
        await Eventually.HoldsAsync(async () =>
        {
            Assert.False(process.HasExited, $"the web process exited:\n{process.Output}");
            try
            {
                return (await probe.GetAsync(new Uri("/healthz", UriKind.Relative))).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "the image's web process to answer /healthz");
        return (process, address);
    }

    private static readonly string[] BuildTools = ["node", "npm"];

    [GeneratedRegex(@"^(?<instruction>[A-Z]+)\s+(?<arguments>.*)$")]
    private static partial Regex Instruction();

    public static async Task<DockerfileBuild> ReplayAsync(string dockerfile)
    {
        var context = Path.GetDirectoryName(dockerfile)!;
        var stages = Stages(File.ReadAllLines(dockerfile));
        var build = stages.SingleOrDefault(stage => stage.Name == "build")
            ?? throw new InvalidOperationException("The Dockerfile has no stage named 'build' (FROM … AS build).");
        // What the runtime stage takes from the build: `COPY --from=build SOURCE DEST`.
        var shipped = stages.SelectMany(stage => stage.Lines)
            .Select(line => Instruction().Match(line))
            .Where(match => match.Groups["instruction"].Value == "COPY" && match.Groups["arguments"].Value.StartsWith("--from=build ", StringComparison.Ordinal))
            .Select(match => match.Groups["arguments"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])
            .SingleOrDefault() ?? throw new InvalidOperationException("No stage copies the build's output (COPY --from=build …).");

        var root = Directory.CreateTempSubdirectory("portal-image-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(root, recursive: true);
        var ignore = DockerIgnore.Read(Path.Combine(context, ".dockerignore"));
        var log = new StringBuilder();
        var workdir = "/";
        var environment = new Dictionary<string, string>();
        foreach (var line in build.Lines)
        {
            var match = Instruction().Match(line);
            var (instruction, arguments) = (match.Groups["instruction"].Value, match.Groups["arguments"].Value);
            switch (instruction)
            {
                case "WORKDIR":
                    workdir = arguments.StartsWith('/') ? arguments : Path.Combine(workdir, arguments);
                    Directory.CreateDirectory(Map(root, workdir));
                    break;
                case "ENV":
                    foreach (var (key, value) in ParseEnv(arguments))
                    {
                        environment[key] = value;
                    }
                    break;
                case "COPY":
                    Copy(context, ignore, arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), Map(root, workdir));
                    break;
                case "RUN" when arguments.Contains("dotnet ", StringComparison.Ordinal):
                    await RunAsync(MapPaths(root, arguments), Map(root, workdir), environment, log);
                    break;
                case "RUN" when arguments.StartsWith("apt-get", StringComparison.Ordinal):
                    // Debian packages of the build image: this machine must already have the tools they bring.
                    foreach (var tool in BuildTools.Where(tool => arguments.Contains(tool, StringComparison.Ordinal)))
                    {
                        if (!CommandExists(tool)) throw new InvalidOperationException($"The build stage installs {tool}, which this machine lacks.");
                    }
                    break;
                default:
                    throw new InvalidOperationException($"The replay does not know how to replay this build-stage line: {line}");
            }
        }
        return new DockerfileBuild(root, Map(root, shipped));
    }

    private sealed record Stage(string? Name, List<string> Lines);

    /// <summary>The Dockerfile's stages, each a list of logical lines (continuations joined, comments dropped).</summary>
    private static List<Stage> Stages(IEnumerable<string> lines)
    {
        var stages = new List<Stage>();
        var current = new StringBuilder();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.EndsWith('\\'))
            {
                current.Append(line[..^1]).Append(' ');
                continue;
            }
            current.Append(line);
            var logical = Regex.Replace(current.ToString(), @"\s+", " ");
            current.Clear();
            if (logical.StartsWith("FROM ", StringComparison.Ordinal))
            {
                var parts = logical.Split(' ');
                stages.Add(new Stage(parts.Length >= 4 && parts[2].Equals("AS", StringComparison.OrdinalIgnoreCase) ? parts[3] : null, []));
            }
            else if (stages.Count > 0)
            {
                stages[^1].Lines.Add(logical);
            }
        }
        return stages;
    }

    private static IEnumerable<(string Key, string Value)> ParseEnv(string arguments) =>
        arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(pair => pair.Split('=', 2)).Where(pair => pair.Length == 2).Select(pair => (pair[0], pair[1]));

    /// <summary>COPY SOURCE… DEST: files by name, folders by their contents, as Docker copies them.</summary>
    private static void Copy(string context, DockerIgnore ignore, string[] arguments, string workdir)
    {
        if (arguments.Any(argument => argument.StartsWith("--", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"The replay does not know COPY flags: COPY {string.Join(' ', arguments)}");
        }
        var destination = arguments[^1];
        var target = destination.StartsWith('/') ? destination : Path.Combine(workdir, destination);
        var intoFolder = destination.EndsWith('/') || destination == "." || arguments.Length > 2;
        foreach (var source in arguments[..^1])
        {
            var path = Path.Combine(context, source.TrimEnd('/'));
            if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
                {
                    var relative = Path.GetRelativePath(context, file);
                    if (ignore.Excludes(relative)) continue;
                    CopyFile(file, Path.Combine(target, Path.GetRelativePath(path, file)));
                }
            }
            else if (File.Exists(path) && !ignore.Excludes(source))
            {
                CopyFile(path, intoFolder ? Path.Combine(target, Path.GetFileName(path)) : target);
            }
            else
            {
                // What `docker build` says when a COPY source is missing from the context.
                throw new InvalidOperationException($"COPY failed: \"{source}\" not found in the build context (or excluded by .dockerignore).");
            }
        }
    }

    private static void CopyFile(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to, overwrite: true);
    }

    private static string Map(string root, string containerPath) => Path.Combine(root, containerPath.TrimStart('/'));

    /// <summary>Absolute container paths in a command (<c>-o /app/web</c>) point into the replay's folder.</summary>
    private static string MapPaths(string root, string command) =>
        Regex.Replace(command, @"(?<=^|\s)/(?=[A-Za-z])", root.TrimEnd('/') + "/");

    private static async Task RunAsync(string command, string workdir, IReadOnlyDictionary<string, string> environment, StringBuilder log)
    {
        var start = new ProcessStartInfo("bash", ["-c", command])
        {
            WorkingDirectory = workdir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        log.AppendLine("$ " + command);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        log.Append(await output).Append(await errors);
        if (process.ExitCode != 0)
        {
            var tail = string.Join('\n', log.ToString().Split('\n').TakeLast(30));
            throw new InvalidOperationException($"The build stage's line failed (exit code {process.ExitCode}): RUN {command}\n{tail}");
        }
    }

    private static bool CommandExists(string tool) =>
        Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(folder => File.Exists(Path.Combine(folder, tool)));

    /// <summary><c>.dockerignore</c>: patterns relative to the context root, <c>*</c>, <c>?</c> and <c>**</c>; a folder excludes its contents.</summary>
    private sealed class DockerIgnore(IReadOnlyList<Regex> patterns)
    {
        public static DockerIgnore Read(string path)
        {
            if (!File.Exists(path)) return new DockerIgnore([]);
            var patterns = new List<Regex>();
            foreach (var line in File.ReadAllLines(path).Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#')))
            {
                if (line.StartsWith('!')) throw new InvalidOperationException($"The replay does not know .dockerignore exceptions: {line}");
                var pattern = Regex.Escape(line.Trim('/'))
                    .Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal)
                    .Replace(@"\*\*", ".*", StringComparison.Ordinal)
                    .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
                    .Replace(@"\?", "[^/]", StringComparison.Ordinal);
                patterns.Add(new Regex($"^{pattern}(/.*)?$"));
            }
            return new DockerIgnore(patterns);
        }

        public bool Excludes(string relativePath) => patterns.Any(pattern => pattern.IsMatch(relativePath.Replace('\\', '/')));
    }
}
