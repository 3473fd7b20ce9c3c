using System.Collections.Immutable;
using MptcpActors.Actors.Stack;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Interface;

/// <summary>
/// What a subflow needs to put its segments on the wire itself, without a hop through the interface actor: the
/// thread-safe device, our MAC and address, routing, and the neighbour MACs the interface actor has learned,
/// published as an immutable snapshot (read-copy-update). When a MAC is not known yet the subflow hands the segment
/// to the interface actor, which resolves it.
/// </summary>
public sealed class LinkContext(InterfaceSetup setup, IFrameDevice device)
{
    private readonly byte[] _address = Bytes(setup.Address);
    private ImmutableDictionary<IpAddressBytes, byte[]> _neighbors = ImmutableDictionary<IpAddressBytes, byte[]>.Empty;
    private int _ipId;

    public int HeaderRoom => TcpFraming.HeaderRoom(setup.Address.IsIpv6);

    /// <summary>A batch for one sender when the device sends many frames per call; null otherwise.</summary>
    public IFrameBatch? CreateBatch() => device is IBatchingFrameDevice b ? b.CreateBatch(64) : null;

    /// <summary>Set by the interface actor only.</summary>
    public void Learned(IpAddressBytes ip, byte[] mac) => Volatile.Write(ref _neighbors, Volatile.Read(ref _neighbors).SetItem(ip, mac));

    /// <summary>Set by the interface actor only, when the carrier goes (see <see cref="CarrierChanged"/>).</summary>
    public void ForgetNeighbors() => Volatile.Write(ref _neighbors, ImmutableDictionary<IpAddressBytes, byte[]>.Empty);

    /// <summary>The longest TCP segment a batch of this link takes to be cut up by the device (GSO); 0 when it cannot.</summary>
    public int MaxOffloadSegmentLength(IFrameBatch? batch) => batch is { MaxSegmentedFrameLength: > 0 and var max } ? max - HeaderRoom : 0;

    /// <summary>
    /// Frames the segment written at <c>frame[HeaderRoom..]</c> and transmits it; false when the next hop's MAC is not
    /// known yet (the caller then goes through the interface actor). A <paramref name="segmentSize"/> makes it a
    /// super-segment the device cuts into segments of that much payload (only through a batch that can).
    /// </summary>
    public bool TryTransmit(Span<byte> frame, ReadOnlySpan<byte> localBytes, IpAddressBytes remote, ReadOnlySpan<byte> remoteBytes, int segmentLength,
        IFrameBatch? batch = null, int segmentSize = 0)
    {
        if (setup.NextHop(remote) is not { } hop) return true; // no route: lost like on a wire
        var mac = setup.StaticNeighbor?.Invoke(hop) ?? Volatile.Read(ref _neighbors).GetValueOrDefault(hop);
        if (mac is null) return false;
        var n = TcpFraming.Wrap(frame, setup.Mac, mac, localBytes, remoteBytes, segmentLength, (ushort)Interlocked.Increment(ref _ipId),
            checksumOffload: segmentSize > 0);
        try
        {
            if (segmentSize > 0)
            {
                if (!batch!.TryAddTcpSegments(frame[..n], segmentSize))
                {
                    batch.Flush();
                    batch.TryAddTcpSegments(frame[..n], segmentSize);
                }
            }
            else if (batch is null) device.Transmit(frame[..n]);
            else if (!batch.TryAdd(frame[..n]))
            {
                batch.Flush();
                if (!batch.TryAdd(frame[..n])) device.Transmit(frame[..n]);
            }
        }
        catch (ArgumentException)
        {
            // Larger than the link carries: lost like on a wire (the device counts it).
        }
        return true;
    }

    private static byte[] Bytes(IpAddressBytes a)
    {
        var b = new byte[a.Length];
        a.CopyTo(b);
        return b;
    }
}
