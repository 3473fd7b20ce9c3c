namespace MptcpActors.Transport.Devices;

/// <summary>Frames collected to leave in one system call (sendmmsg); one batch per sending thread or actor.</summary>
public interface IFrameBatch : IDisposable
{
    int Count { get; }
    /// <summary>Copies the frame in; false when the batch is full (flush, then add again).</summary>
    bool TryAdd(ReadOnlySpan<byte> frame);
    /// <summary>Sends everything collected; returns how many frames went.</summary>
    int Flush();
}

/// <summary>A device that can send many frames per system call.</summary>
public interface IBatchingFrameDevice : IFrameDevice
{
    IFrameBatch CreateBatch(int maxFrames);
}
