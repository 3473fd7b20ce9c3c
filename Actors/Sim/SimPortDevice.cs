using System.Buffers;
using Akka.Actor;
using MptcpActors.Actors.Interface;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Actors.Sim;

/// <summary>
/// A host's end of a simulated link as a device its subflows send into directly, as they do into a raw socket: frames
/// go to the <see cref="SimNetworkActor"/> (which alone touches the network) in pooled buffers that actor gives back
/// once the link has copied them. A subflow's burst goes as one message (its <see cref="IFrameBatch"/>, flushed at the
/// end of each of its turns): a message per frame cost more than the frame.
/// </summary>
public sealed class SimPortDevice(IActorRef sim, string port, int mtu = SimLink.DefaultMtu) : IBatchingFrameDevice
{
    public string Name => port;

    public int Mtu => mtu;

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        using var single = new Batch(sim, port, 1, frame.Length);
        single.TryAdd(frame);
        single.Flush();
    }

    public IFrameBatch CreateBatch(int maxFrames) => new Batch(sim, port, maxFrames, mtu + EthernetHeaderLength);

    public void Attach(IFrameReceiver receiver) => sim.Tell(new AttachInterface(port, receiver));

    private const int EthernetHeaderLength = 14;

    /// <summary>Frames back to back in one pooled buffer, their lengths in another; a flush hands both to the network actor and rents new ones.</summary>
    private sealed class Batch(IActorRef sim, string port, int maxFrames, int maxFrameLength) : IFrameBatch
    {
        private byte[]? _bytes;
        private int[]? _lengths;
        private int _used;

        public int Count { get; private set; }

        public bool TryAdd(ReadOnlySpan<byte> frame)
        {
            _bytes ??= ArrayPool<byte>.Shared.Rent(maxFrames * maxFrameLength);
            _lengths ??= ArrayPool<int>.Shared.Rent(maxFrames);
            if (Count == maxFrames || frame.Length > _bytes.Length - _used) return false;
            frame.CopyTo(_bytes.AsSpan(_used));
            _used += frame.Length;
            _lengths[Count++] = frame.Length;
            return true;
        }

        public int Flush()
        {
            var sent = Count;
            if (sent == 0) return 0;
            sim.Tell(new SimNetworkActor.PooledFramesOut(port, _bytes!, _lengths!, sent));
            _bytes = null;
            _lengths = null;
            _used = 0;
            Count = 0;
            return sent;
        }

        public void Dispose()
        {
            if (_bytes is not null) ArrayPool<byte>.Shared.Return(_bytes);
            if (_lengths is not null) ArrayPool<int>.Shared.Return(_lengths);
            _bytes = null;
            _lengths = null;
        }
    }
}
