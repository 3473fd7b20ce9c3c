using Akka.Actor;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Interface;

/// <summary>
/// One interface of a node on a real link: its name, the address (and prefix) the engine owns there, its gateway, its
/// MAC and the device that moves its frames (whose Transmit is thread-safe, so subflows send straight into it).
/// </summary>
public sealed record RawInterface(string Name, IpAddressBytes Address, int PrefixLength, IpAddressBytes? Gateway, byte[] Mac, IFrameDevice Device)
{
    /// <summary>The MSS to announce on a link: the configured one, capped by what its MTU carries for the family (1460 / 1440 at 1500).</summary>
    public static int MssFor(int configured, int mtu, bool ipv6) => Math.Min(configured, mtu - (ipv6 ? 40 : 20) - 20);

    /// <summary>
    /// An interface actor per entry, made by <paramref name="spawn"/> (props, name), and the routes a node's manager
    /// uses over them. Every interface takes segments for all of the node's addresses of its family: a peer's subflow
    /// may reach one address over another address's link (Linux routes a subflow endpoint's SYN out of its own device).
    /// </summary>
    public static IReadOnlyList<InterfaceRoute> Start(IReadOnlyList<RawInterface> interfaces, TcpCoreOptions options, IActorRef deviceActor,
        Func<Props, string, IActorRef> spawn)
    {
        var isn = IsnGenerator.CreateRandom();
        return interfaces.Select(i =>
        {
            var setup = new InterfaceSetup(i.Name, new DeviceRef(deviceActor, i.Name), i.Mac, i.Address, i.PrefixLength, i.Gateway,
                options with { Mss = MssFor(options.Mss, i.Device.Mtu, i.Address.IsIpv6) }, isn)
            {
                NodeAddresses = interfaces.Where(o => o.Address.Length == i.Address.Length).Select(o => o.Address).ToList(),
                DirectDevice = i.Device,
            };
            return new InterfaceRoute(i.Name, i.Address, i.PrefixLength, i.Gateway is not null, spawn(InterfaceActor.Props(setup), $"iface-{i.Name}"));
        }).ToList();
    }
}
