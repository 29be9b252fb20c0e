using System.Net;
using System.Net.Sockets;

namespace Portal.Tests.Infrastructure;

/// <summary>Ports on loopback for the servers tests start themselves.</summary>
public static class LoopbackPort
{
    /// <summary>A port free now (the system's choice), for a server about to bind it.</summary>
    public static int Free()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public static Task WaitUntilListeningAsync(int port, TimeSpan within, string what) => Eventually.HoldsAsync(async () =>
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }, within, what);
}
