using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Stack;

/// <summary>A TCP connection's 4-tuple as seen from the local end.</summary>
public readonly record struct TcpFlowKey(IpAddressBytes LocalAddress, ushort LocalPort, IpAddressBytes RemoteAddress, ushort RemotePort)
{
    public override string ToString() =>
        $"{Format(LocalAddress)}:{LocalPort}->{Format(RemoteAddress)}:{RemotePort}";

    private static string Format(IpAddressBytes a) => a.IsIpv6 ? $"[{a}]" : a.ToString();
}
