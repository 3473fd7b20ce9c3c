using MptcpActors.Transport.Devices.Linux;

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
    /// <summary>
    /// Opens the AF_PACKET device of <paramref name="interfaceName"/> as these settings say. Receive slots take 64 KiB
    /// frames from the start: a kernel peer on a veth sends GSO frames that large whatever the MTU.
    /// </summary>
    public AfPacketDevice Open(string interfaceName) => new(interfaceName, new AfPacketDeviceOptions
    {
        ReceiveFrameSize = AfPacketDevice.EthernetHeaderLength + 65535 + AfPacketDevice.VlanTagLength + 1,
        ReceiveRing = Receive == RawSocketReceive.Ring,
        SegmentationOffload = SegmentationOffload,
    });

    internal static RawSocketSettings Read(ConfigReader r)
    {
        var settings = new RawSocketSettings(
            Receive: r.Enum("receive", SettingNames.RawSocketReceives),
            SegmentationOffload: r.Bool("segmentation-offload"));
        r.RejectUnknownKeys();
        return settings;
    }
}
