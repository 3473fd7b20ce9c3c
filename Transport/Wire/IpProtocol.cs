namespace MptcpActors.Transport.Wire;

public enum IpProtocol : byte
{
    HopByHop = 0,
    Icmp = 1,
    Tcp = 6,
    Udp = 17,
    Ipv6Route = 43,
    Ipv6Fragment = 44,
    Esp = 50,
    Ah = 51,
    Icmpv6 = 58,
    Ipv6NoNext = 59,
    Ipv6Options = 60,
    Mobility = 135,
    Hip = 139,
    Shim6 = 140,
}
