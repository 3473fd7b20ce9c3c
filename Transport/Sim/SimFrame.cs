using System.Buffers;

namespace MptcpActors.Transport.Sim;

/// <summary>
/// A frame copied into a link: the bytes (in a buffer rented from <see cref="ArrayPool{T}"/>) and what the link
/// needs to deliver it. Pooled by <see cref="SimFramePool"/>, never seen outside the simulator.
/// </summary>
internal sealed class SimFrame
{
    public byte[] Buffer = [];
    public int Length;
    public SimLinkDirection? Direction;
    /// <summary>The link's down-epoch when the frame entered it; a frame from an older epoch was lost to a link-down.</summary>
    public int Epoch;

    public ReadOnlySpan<byte> Data => Buffer.AsSpan(0, Length);
}

/// <summary>
/// Frames and their buffers, reused. A frame keeps its rented buffer while it sits in this pool, so the number of
/// frames in flight can grow to any size without the shared ArrayPool's per-core limits turning into allocations
/// (ArrayPool.Shared keeps only a few arrays per size and core). One pool per simulation: all of it runs on one thread.
/// </summary>
internal sealed class SimFramePool
{
    private const int MinimumBuffer = 2048; // a full 1500-byte-MTU Ethernet frame, so most frames never need a bigger one

    private readonly Stack<SimFrame> _free = new();

    public SimFrame Rent(ReadOnlySpan<byte> data)
    {
        var frame = _free.Count > 0 ? _free.Pop() : new SimFrame();
        if (frame.Buffer.Length < data.Length)
        {
            if (frame.Buffer.Length > 0) ArrayPool<byte>.Shared.Return(frame.Buffer);
            frame.Buffer = ArrayPool<byte>.Shared.Rent(Math.Max(data.Length, MinimumBuffer));
        }
        data.CopyTo(frame.Buffer);
        frame.Length = data.Length;
        return frame;
    }

    public void Return(SimFrame frame)
    {
        frame.Direction = null;
        frame.Length = 0;
        _free.Push(frame);
    }

    public int FreeCount => _free.Count;

    /// <summary>Gives the buffers of the free frames back to the ArrayPool (frames in flight keep theirs).</summary>
    public void Trim()
    {
        while (_free.Count > 0)
        {
            var f = _free.Pop();
            if (f.Buffer.Length > 0) ArrayPool<byte>.Shared.Return(f.Buffer);
            f.Buffer = [];
        }
    }
}
