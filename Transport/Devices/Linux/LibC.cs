using System.Runtime.InteropServices;

namespace MptcpActors.Transport.Devices.Linux;

/// <summary>
/// The few libc calls and kernel ABI structures the AF_PACKET device needs. Layouts and constants are those of 64-bit
/// Linux on x86-64 and arm64 (the generic socket ABI); <see cref="EnsureSupported"/> refuses anything else.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    // Address families, socket types and flags.
    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public const int AF_PACKET = 17;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const ushort ETH_P_ALL = 0x0003;

    // Socket options.
    public const int SOL_SOCKET = 1;
    public const int SO_ERROR = 4;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_SNDTIMEO = 21;
    public const int SO_ATTACH_FILTER = 26;
    public const int SO_DETACH_FILTER = 27;
    public const int SO_SNDBUFFORCE = 32;
    public const int SO_RCVBUFFORCE = 33;
    public const int SOL_PACKET = 263;
    public const int PACKET_ADD_MEMBERSHIP = 1;
    public const int PACKET_DROP_MEMBERSHIP = 2;
    public const int PACKET_STATISTICS = 6;
    public const int PACKET_AUXDATA = 8;
    public const int PACKET_QDISC_BYPASS = 20;
    public const int PACKET_IGNORE_OUTGOING = 23;
    public const int PACKET_VNET_HDR = 15;

    // struct virtio_net_hdr (linux/virtio_net.h), little-endian on the packet socket of a little-endian host.
    public const byte VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
    public const byte VIRTIO_NET_HDR_GSO_TCPV4 = 1;
    public const byte VIRTIO_NET_HDR_GSO_TCPV6 = 4;
    public const ushort PACKET_MR_MULTICAST = 0;

    // sll_pkttype.
    public const byte PACKET_HOST = 0;
    public const byte PACKET_OUTGOING = 4;

    // tpacket_auxdata.tp_status.
    public const uint TP_STATUS_CSUMNOTREADY = 1 << 3;
    public const uint TP_STATUS_VLAN_VALID = 1 << 4;
    public const uint TP_STATUS_VLAN_TPID_VALID = 1 << 6;

    // Message flags.
    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;

    // poll.
    public const short POLLIN = 0x1;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;

    // eventfd.
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    // ioctl requests.
    public const uint SIOCGIFFLAGS = 0x8913;
    public const uint SIOCGIFMTU = 0x8921;
    public const uint SIOCGIFHWADDR = 0x8927;

    public const int IFNAMSIZ = 16;

    // errno values.
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int ENXIO = 6;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENOTSOCK = 88;
    public const int EMSGSIZE = 90;
    public const int ENOPROTOOPT = 92;
    public const int EAFNOSUPPORT = 97;
    public const int ENETDOWN = 100;
    public const int ENOBUFS = 105;

    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrLl
    {
        public ushort Family;
        public ushort Protocol; // network byte order
        public int IfIndex;
        public ushort HaType;
        public byte PktType;
        public byte HaLen;
        public fixed byte Addr[8];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLen;
        public IoVec* Iov;
        public nuint IovLen;
        public void* Control;
        public nuint ControlLen;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Hdr;
        public uint Len;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CMsgHdr
    {
        public nuint Len;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TPacketAuxData
    {
        public uint Status;
        public uint Len;
        public uint SnapLen;
        public ushort Mac;
        public ushort Net;
        public ushort VlanTci;
        public ushort VlanTpid;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct VirtioNetHdr
    {
        public byte Flags;
        public byte GsoType;
        public ushort HdrLen;
        public ushort GsoSize;
        public ushort CsumStart;
        public ushort CsumOffset;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TPacketStats
    {
        public uint Packets;
        public uint Drops;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SockFilter
    {
        public ushort Code;
        public byte Jt;
        public byte Jf;
        public uint K;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SockFprog
    {
        public ushort Len;
        public SockFilter* Filter;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PacketMreq
    {
        public int IfIndex;
        public ushort Type;
        public ushort ALen;
        public fixed byte Address[8];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeVal
    {
        public long Sec;
        public long USec;
    }

    /// <summary>struct ifreq: the name, then a 24-byte union (ifr_mtu, ifr_flags, ifr_hwaddr).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct IfReq
    {
        [FieldOffset(0)] public fixed byte Name[IFNAMSIZ];
        [FieldOffset(16)] public int Mtu;
        [FieldOffset(16)] public short Flags;
        [FieldOffset(16)] public ushort HwFamily;
        [FieldOffset(18)] public fixed byte HwData[14];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IfNameIndex
    {
        public uint Index;
        public byte* Name;
    }

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, void* address, uint addressLength);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Lib, EntryPoint = "if_nametoindex", SetLastError = true)]
    public static partial uint IfNameToIndex(byte* name);

    [LibraryImport(Lib, EntryPoint = "if_nameindex", SetLastError = true)]
    public static partial IfNameIndex* IfNameIndexList();

    [LibraryImport(Lib, EntryPoint = "if_freenameindex")]
    public static partial void IfFreeNameIndex(IfNameIndex* list);

    [LibraryImport(Lib, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, void* buffer, nuint length, int flags);

    [LibraryImport(Lib, EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Lib, EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>The errno of the last call made with SetLastError.</summary>
    public static int Errno => Marshal.GetLastPInvokeError();

    public static void EnsureSupported()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("AF_PACKET raw sockets exist only on Linux");
        if (IntPtr.Size != 8)
            throw new PlatformNotSupportedException("the AF_PACKET device supports 64-bit Linux only");
    }

    /// <summary>Copies an interface name into a NUL-terminated ifreq-style buffer; throws when it cannot be a Linux name.</summary>
    public static void WriteInterfaceName(string name, byte* destination)
    {
        ValidateInterfaceName(name);
        var span = new Span<byte>(destination, IFNAMSIZ);
        span.Clear();
        System.Text.Encoding.UTF8.GetBytes(name, span);
    }

    public static void ValidateInterfaceName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(name) >= IFNAMSIZ || name.Contains('/') || name.Contains('\0')
            || name.Any(char.IsWhiteSpace))
            throw new ArgumentException($"'{name}' is not a valid Linux interface name (1 to 15 bytes, no '/', no blanks)", nameof(name));
    }

    /// <summary>Retries a call interrupted by a signal.</summary>
    public static bool Interrupted(int result) => result < 0 && Errno == EINTR;

    public static ushort HostToNetwork(ushort value) => BitConverter.IsLittleEndian ? (ushort)((value >> 8) | (value << 8)) : value;
}
