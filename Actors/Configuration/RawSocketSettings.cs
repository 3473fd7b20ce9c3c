namespace MptcpActors.Actors.Configuration;

/// <summary>How frames are received from the kernel on a raw interface (<c>mptcp.raw-socket.receive</c>).</summary>
public enum RawSocketReceive
{
    /// <summary>recvmmsg: batches copied out of the socket's queue, one system call each.</summary>
    Recvmmsg,
    /// <summary>A TPACKET_V3 ring (PACKET_MMAP): blocks of frames read in place in memory shared with the kernel.</summary>
    Ring,
}

/// <summary>The AF_PACKET sockets of raw interfaces (<c>mptcp.raw-socket</c>).</summary>
public sealed record RawSocketSettings(RawSocketReceive Receive, bool SegmentationOffload)
{
    internal static RawSocketSettings Read(ConfigReader r)
    {
        var settings = new RawSocketSettings(
            Receive: r.Enum("receive", SettingNames.RawSocketReceives),
            SegmentationOffload: r.Bool("segmentation-offload"));
        r.RejectUnknownKeys();
        return settings;
    }
}
