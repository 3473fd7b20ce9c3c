using System.Net;

namespace MptcpActors.Actors.Tests.Embedding;

/// <summary>
/// An actor system whose engine node (<c>Mptcp.Get</c>) has two simulated interfaces: "wifi" 10.9.1.1 and "lte"
/// 10.9.2.1, the simulated peer at .2 of each; the client joins from lte. Small buffers, so what backpressure bounds
/// is small next to what a test sends.
/// </summary>
public static class SimNodeConfig
{
    public static readonly IPAddress PeerWifi = IPAddress.Parse("10.9.1.2");

    public const string Hocon = """
        akka.loglevel = INFO
        mptcp {
          interfaces = [
            { name = wifi, address = 10.9.1.1/24, gateway = 10.9.1.2, transport = sim }
            { name = lte, address = 10.9.2.1/24, gateway = 10.9.2.2, transport = sim }
          ]
          path-manager {
            limits { subflows = 2, add-addr-accepted = 2 }
            endpoints = [ { address = 10.9.2.1, flags = [subflow] } ]
          }
          reassembly-memory = 256KiB
          tcp { send-buffer = 256KiB, receive-buffer = 256KiB }
        }
        """;
}
