using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Benchmarks;

/// <summary>
/// The first TCP handshake on a link whose A end is the client (the MP_JOIN of the cluster benchmark's path p1), timed
/// on the wire in virtual time: SYN sent and arrived, SYN/ACK sent, third ACK arrived, the server's next segment sent
/// (its ACK of the third ACK, which completes the join). Called on the simulation's thread, read once the transfer
/// has been reported (after the simulation has moved far past the handshake).
/// </summary>
public sealed class JoinHandshakeWatch : ISimLinkObserver
{
    private SimLink? _link;
    private long _synSent = -1, _synArrived = -1, _synAckSent = -1, _ackArrived = -1, _serverAckSent = -1;

    public void Attach(SimLink link)
    {
        _link = link;
        link.AddObserver(this);
    }

    /// <summary>Watch for the next handshake (called on the simulation's thread, after the previous connection ended).</summary>
    public void Reset() => _synSent = _synArrived = _synAckSent = _ackArrived = _serverAckSent = -1;

    /// <summary>Milliseconds from the SYN sent to the handshake's last ACK sent, and the server's time within it.</summary>
    public bool TryTimes(out double totalMs, out double serverMs)
    {
        var complete = Volatile.Read(ref _serverAckSent) >= 0;
        totalMs = (_serverAckSent - _synSent) / 1e6;
        serverMs = (_synAckSent - _synArrived + _serverAckSent - _ackArrived) / 1e6;
        return complete;
    }

    void ISimLinkObserver.FrameAccepted(SimLinkDirection direction, ReadOnlySpan<byte> frame, long nowNs)
    {
        if (_serverAckSent >= 0 || !TryFlags(frame, out var flags)) return;
        var syn = (flags & TcpFlags.Syn) != 0;
        if (direction == _link!.AToB)
        {
            if (syn && (flags & TcpFlags.Ack) == 0 && _synSent < 0) _synSent = nowNs;
        }
        else if (syn && _synAckSent < 0) _synAckSent = nowNs;
        else if (!syn && _ackArrived >= 0 && _serverAckSent < 0) Volatile.Write(ref _serverAckSent, nowNs);
    }

    void ISimLinkObserver.FrameDelivered(SimLinkDirection direction, ReadOnlySpan<byte> frame, long nowNs)
    {
        if (_serverAckSent >= 0 || direction != _link!.AToB || !TryFlags(frame, out var flags)) return;
        if ((flags & TcpFlags.Syn) != 0) { if (_synArrived < 0) _synArrived = nowNs; }
        else if (_synAckSent >= 0 && _ackArrived < 0) _ackArrived = nowNs;
    }

    private static bool TryFlags(ReadOnlySpan<byte> frame, out TcpFlags flags)
    {
        flags = default;
        if (!EthernetFrame.TryParse(frame, out var eth) || !Ipv4Packet.TryParse(eth.Payload, out var ip) || !TcpSegment.TryParse(ip.Payload, out var tcp))
            return false;
        flags = tcp.Flags;
        return true;
    }
}
