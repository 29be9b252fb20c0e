using System.Diagnostics;
using MimeKit;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// A real SMTP server for a test: Debian's aiosmtpd on loopback, writing every message it accepts to a Maildir, which
/// the test reads back with MimeKit. It can be stopped and started again on the same port (an outage).
/// </summary>
public sealed class SmtpServer : IAsyncDisposable
{
    // aiosmtpd creates the Maildir (tmp, new, cur) only where nothing exists yet.
    private readonly string maildir = Path.Combine(Directory.CreateTempSubdirectory("portal-smtp-").FullName, "maildir");
    private Process? process;

    private SmtpServer(int port) => Port = port;

    public int Port { get; }

    public static async Task<SmtpServer> StartAsync()
    {
        var port = LoopbackPort.Free();
        var server = new SmtpServer(port);
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        process = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{Port}", "-c", "aiosmtpd.handlers.Mailbox", maildir])
        {
            RedirectStandardError = true, RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("aiosmtpd did not start (apt-get install python3-aiosmtpd)");
        await LoopbackPort.WaitUntilListeningAsync(Port, TimeSpan.FromSeconds(15), "aiosmtpd listens");
    }

    public async Task StopAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Every message received so far, oldest first.</summary>
    public IReadOnlyList<MimeMessage> Messages()
    {
        var folder = Path.Combine(maildir, "new");
        return Directory.Exists(folder)
            ? Directory.GetFiles(folder).Select(file => (File: file, Written: File.GetLastWriteTimeUtc(file))).OrderBy(file => file.Written).Select(file => MimeMessage.Load(file.File)).ToList()
            : [];
    }

    public Dictionary<string, string?> Settings() => new() { ["Smtp:Host"] = "127.0.0.1", ["Smtp:Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["Smtp:From"] = "Portal <portal@example.com>" };

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        process?.Dispose();
    }
}
