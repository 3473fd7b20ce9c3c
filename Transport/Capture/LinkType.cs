namespace MptcpActors.Transport.Capture;

/// <summary>pcap link-layer header types (tcpdump.org/linktypes.html) that carry IP.</summary>
public enum LinkType : uint
{
    Null = 0,
    Ethernet = 1,
    Raw = 101,
    /// <summary>Old BSD values for raw IP.</summary>
    RawBsd12 = 12,
    RawBsd14 = 14,
    LinuxSll = 113,
    Loop = 108,
    Ipv4 = 228,
    Ipv6 = 229,
    LinuxSll2 = 276,
}
