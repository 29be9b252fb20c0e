using System.Diagnostics;
using Portal.Tests.Infrastructure;

namespace Portal.UnitTests.Deployment;

/// <summary>The example proxy configurations under deploy/ are valid for the proxies they are written for.</summary>
public sealed class DeployFilesTests
{
    private static readonly string[] Folders = ["/usr/sbin", "/usr/bin"];

    private static async Task<(int Code, string Output)> RunAsync(string program, params string[] arguments)
    {
        var path = Folders.Select(folder => Path.Combine(folder, program)).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"{program} is not installed: ./portal test installs it (Debian's package).");
        using var process = Process.Start(new ProcessStartInfo(path, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }

    [Fact]
    public async Task HaproxyExample_ValidForHaproxy()
    {
        var (code, output) = await RunAsync("haproxy", "-c", "-f", Repository.File("deploy/haproxy.cfg"));

        Assert.True(code == 0, output);
        Assert.Contains("Configuration file is valid", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NginxExample_ValidForNginx()
    {
        var prefix = Directory.CreateTempSubdirectory("portal-nginx-").FullName;
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));

        var (code, output) = await RunAsync("nginx", "-t", "-p", prefix, "-c", Repository.File("deploy/nginx.conf"),
            "-g", $"pid {prefix}/nginx.pid; error_log stderr;");

        Assert.True(code == 0, output);
        Assert.Contains("test is successful", output, StringComparison.Ordinal);
    }
}
