using System.Net.NetworkInformation;
using MptcpActors.Transport.Devices;

namespace MptcpActors.Transport.Sim;

/// <summary>
/// One end of a <see cref="SimLink"/>, seen by the host as a network interface: it sends frames into the link's
/// outbound direction and hands frames arriving on the inbound one to its receiver, with the virtual arrival time.
/// Reports carrier like a NIC (<see cref="ILinkStatus"/>): down while the link is down.
/// </summary>
public sealed class SimPort : IFrameDevice, ILinkStatus
{
    private readonly byte[] _mac;

    internal SimPort(SimLink link, string name, int mtu, ReadOnlySpan<byte> macAddress, SimHost? host)
    {
        if (macAddress.Length != 6) throw new ArgumentException("a MAC address has 6 bytes", nameof(macAddress));
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68, nameof(mtu)); // IPv4's minimum
        Link = link;
        Name = name;
        Mtu = mtu;
        _mac = macAddress.ToArray();
        Host = host;
    }

    public string Name { get; }
    public int Mtu { get; }
    public SimLink Link { get; }
    /// <summary>The host this port belongs to when created through <see cref="SimNetwork"/>.</summary>
    public SimHost? Host { get; }

    public ReadOnlySpan<byte> MacAddress => _mac;
    public PhysicalAddress PhysicalAddress => new(_mac);

    /// <summary>Frames this port sends.</summary>
    public SimLinkDirection Outbound => ReferenceEquals(this, Link.A) ? Link.AToB : Link.BToA;
    /// <summary>Frames this port receives.</summary>
    public SimLinkDirection Inbound => ReferenceEquals(this, Link.A) ? Link.BToA : Link.AToB;

    /// <summary>The other end of the link.</summary>
    public SimPort Peer => ReferenceEquals(this, Link.A) ? Link.B : Link.A;

    public IFrameReceiver? Receiver { get; private set; }

    public bool IsLinkUp => Link.IsUp;

    public event Action<IFrameDevice, bool>? LinkStateChanged;

    public void Transmit(ReadOnlySpan<byte> frame) => Outbound.Transmit(frame);

    public void Attach(IFrameReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        // Two receivers on one port is a wiring mistake (e.g. wrapping the same port twice); say so instead of stealing frames.
        if (Receiver is not null && !ReferenceEquals(Receiver, receiver))
            throw new InvalidOperationException($"{Name} already has a receiver ({Receiver.GetType().Name})");
        Receiver = receiver;
    }

    /// <summary>The host's interface is gone (its machine restarting): frames arriving meanwhile are dropped, and a new one may attach.</summary>
    public void Detach() => Receiver = null;

    internal void RaiseLinkStateChanged(bool up) => LinkStateChanged?.Invoke(this, up);

    public override string ToString() => $"{Name} ({PhysicalAddress}, mtu {Mtu}, {(IsLinkUp ? "up" : "down")})";
}
