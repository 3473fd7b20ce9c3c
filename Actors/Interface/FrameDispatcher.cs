using System.Collections.Immutable;
using Akka.Actor;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Subflow;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Interface;

/// <summary>
/// Runs on the device's own thread (raw-socket I/O thread, simulator): checks each arriving frame and sends segments
/// of known connections straight to their subflow actor, by a 4-tuple table the interface actor publishes as an
/// immutable snapshot swapped atomically (read-copy-update: no lock on the packet path). Everything else (SYNs,
/// ARP, neighbour discovery, ICMP, strays to answer with RST) goes to the interface actor.
/// <para>
/// A subflow's segments from one device batch (one recvmmsg) go to it together, copied into one pooled
/// <see cref="SegmentBatch"/>: nothing is allocated per segment. From a device that delivers frames one at a time, each
/// goes at once.
/// </para>
/// </summary>
public sealed class FrameDispatcher(LocalAddresses addresses, IActorRef interfaceActor) : IFrameReceiver
{
    private ImmutableDictionary<TcpFlowKey, IActorRef> _table = ImmutableDictionary<TcpFlowKey, IActorRef>.Empty;
    // The current batch's segments by subflow; only the device's thread touches it. The table hands out the same
    // reference for a subflow every time, so reference equality is enough (and cheaper than actor-path equality).
    private readonly Dictionary<IActorRef, SegmentBatch> _gathered = new(ReferenceEqualityComparer.Instance);
    private long _badChecksums;

    /// <summary>The current table; set only by the interface actor.</summary>
    public ImmutableDictionary<TcpFlowKey, IActorRef> Table
    {
        get => Volatile.Read(ref _table);
        set => Volatile.Write(ref _table, value);
    }

    public long BadChecksums => Interlocked.Read(ref _badChecksums);

    public void Receive(IFrameDevice device, ReadOnlySpan<byte> frame, long timeNs)
    {
        switch (TcpFraming.Unwrap(frame, addresses, out var ip, out var seg))
        {
            case TcpFraming.Verdict.Segment:
                var key = new TcpFlowKey(new IpAddressBytes(ip.Destination), seg.DestinationPort, new IpAddressBytes(ip.Source), seg.SourcePort);
                if (Table.TryGetValue(key, out var subflow))
                {
                    if (!_gathered.TryGetValue(subflow, out var batch)) _gathered[subflow] = batch = SegmentBatch.Rent();
                    batch.Add(seg.Bytes);
                    if (!device.DeliversBatches) EndOfBatch(device);
                    return;
                }
                break;
            case TcpFraming.Verdict.BadChecksum:
                Interlocked.Increment(ref _badChecksums);
                return;
            case TcpFraming.Verdict.Malformed:
                return;
        }
        interfaceActor.Tell(new FrameIn(frame.ToArray()));
    }

    public void EndOfBatch(IFrameDevice device)
    {
        if (_gathered.Count == 0) return;
        foreach (var (subflow, batch) in _gathered) subflow.Tell(batch);
        _gathered.Clear();
    }
}
