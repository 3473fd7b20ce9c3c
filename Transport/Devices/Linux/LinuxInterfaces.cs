using System.Diagnostics.CodeAnalysis;
using System.Net.NetworkInformation;

namespace MptcpActors.Transport.Devices.Linux;

/// <summary>The interface flags of SIOCGIFFLAGS (IFF_*, the low 16 bits that ioctl reports).</summary>
[Flags]
public enum LinuxInterfaceFlags
{
    None = 0,
    Up = 0x1,
    Broadcast = 0x2,
    Debug = 0x4,
    Loopback = 0x8,
    PointToPoint = 0x10,
    NoTrailers = 0x20,
    /// <summary>Operationally up: administratively up and the link has carrier.</summary>
    Running = 0x40,
    NoArp = 0x80,
    Promiscuous = 0x100,
    AllMulticast = 0x200,
    Master = 0x400,
    Slave = 0x800,
    Multicast = 0x1000,
    PortSelect = 0x2000,
    AutoMedia = 0x4000,
    Dynamic = 0x8000,
}

/// <summary>What the kernel says about one interface at the moment it was asked.</summary>
/// <param name="HardwareType">The ARPHRD_* link type: 1 for Ethernet (veth, NICs), 772 for loopback, 65534 for TUN.</param>
public sealed record LinuxInterfaceInfo(string Name, int Index, int Mtu, ushort HardwareType, PhysicalAddress HardwareAddress,
    LinuxInterfaceFlags Flags)
{
    public const ushort ArpHardwareEthernet = 1;
    public const ushort ArpHardwareLoopback = 772;
    public const ushort ArpHardwareNone = 65534;

    /// <summary>Administratively up (<c>ip link set NAME up</c>).</summary>
    public bool IsUp => (Flags & LinuxInterfaceFlags.Up) != 0;

    /// <summary>Up and with carrier: frames can flow.</summary>
    public bool IsRunning => (Flags & LinuxInterfaceFlags.Running) != 0 && IsUp;

    public bool IsLoopback => (Flags & LinuxInterfaceFlags.Loopback) != 0;

    /// <summary>Frames on it carry a 14-byte Ethernet header (Ethernet and loopback devices).</summary>
    public bool HasEthernetHeader => HardwareType is ArpHardwareEthernet or ArpHardwareLoopback;
}

/// <summary>
/// Reads the interfaces of the calling process's network namespace through the classic ioctls (no netlink, no root
/// needed). A name that does not exist gives a <see cref="RawSocketException"/> with <see cref="RawSocketException.IsNoSuchInterface"/>.
/// </summary>
public static unsafe class LinuxInterfaces
{
    /// <summary>Every interface, by index; one that vanishes while being read is left out.</summary>
    public static IReadOnlyList<LinuxInterfaceInfo> List()
    {
        var result = new List<LinuxInterfaceInfo>();
        foreach (var name in ListNames())
            if (TryGet(name, out var info)) result.Add(info);
        result.Sort((a, b) => a.Index.CompareTo(b.Index));
        return result;
    }

    /// <summary>The names of every interface (if_nameindex).</summary>
    public static IReadOnlyList<string> ListNames()
    {
        LibC.EnsureSupported();
        var list = LibC.IfNameIndexList();
        if (list == null) throw RawSocketException.FromErrno("if_nameindex", null);
        try
        {
            var names = new List<string>();
            for (var p = list; p->Index != 0 && p->Name != null; p++)
                names.Add(new string((sbyte*)p->Name));
            return names;
        }
        finally
        {
            LibC.IfFreeNameIndex(list);
        }
    }

    public static bool Exists(string name) => TryGetIndex(name, out _);

    public static LinuxInterfaceInfo Get(string name)
    {
        var index = GetIndex(name);
        var fd = OpenControlSocket();
        try
        {
            return Read(fd, name, index);
        }
        finally
        {
            LibC.Close(fd);
        }
    }

    public static bool TryGet(string name, [NotNullWhen(true)] out LinuxInterfaceInfo? info)
    {
        info = null;
        try
        {
            info = Get(name);
            return true;
        }
        catch (RawSocketException e) when (e.IsNoSuchInterface)
        {
            return false;
        }
    }

    /// <summary>The interface index (if_nametoindex).</summary>
    public static int GetIndex(string name)
    {
        if (TryGetIndex(name, out var index)) return index;
        var errno = LibC.Errno;
        throw new RawSocketException("if_nametoindex", errno == 0 ? LibC.ENODEV : errno, name);
    }

    public static bool TryGetIndex(string name, out int index)
    {
        LibC.EnsureSupported();
        var buffer = stackalloc byte[LibC.IFNAMSIZ];
        LibC.WriteInterfaceName(name, buffer);
        index = (int)LibC.IfNameToIndex(buffer);
        return index > 0;
    }

    public static int GetMtu(string name) => WithControlSocket(name, static (fd, n) => ReadMtu(fd, n));

    public static PhysicalAddress GetHardwareAddress(string name) =>
        WithControlSocket(name, static (fd, n) => new PhysicalAddress(ReadHardwareAddress(fd, n, out _)));

    public static LinuxInterfaceFlags GetFlags(string name) => WithControlSocket(name, static (fd, n) => ReadFlags(fd, n));

    /// <summary>Administratively up.</summary>
    public static bool IsUp(string name) => (GetFlags(name) & LinuxInterfaceFlags.Up) != 0;

    /// <summary>Up with carrier (IFF_UP and IFF_RUNNING).</summary>
    public static bool IsRunning(string name) => IsRunning(GetFlags(name));

    internal static bool IsRunning(LinuxInterfaceFlags flags) =>
        (flags & (LinuxInterfaceFlags.Up | LinuxInterfaceFlags.Running)) == (LinuxInterfaceFlags.Up | LinuxInterfaceFlags.Running);

    internal static LinuxInterfaceInfo Read(int fd, string name, int index)
    {
        var mtu = ReadMtu(fd, name);
        var mac = ReadHardwareAddress(fd, name, out var type);
        var flags = ReadFlags(fd, name);
        return new LinuxInterfaceInfo(name, index, mtu, type, new PhysicalAddress(mac), flags);
    }

    /// <summary>A datagram socket for the interface ioctls (any socket family reaches dev_ioctl; AF_INET is the usual one).</summary>
    internal static int OpenControlSocket()
    {
        LibC.EnsureSupported();
        var fd = LibC.Socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0 && LibC.Errno == LibC.EAFNOSUPPORT) fd = LibC.Socket(LibC.AF_UNIX, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) throw RawSocketException.FromErrno("socket(AF_INET, SOCK_DGRAM)", null);
        return fd;
    }

    internal static int ReadMtu(int fd, string name)
    {
        LibC.IfReq req;
        Ioctl(fd, name, LibC.SIOCGIFMTU, "ioctl(SIOCGIFMTU)", &req);
        return req.Mtu;
    }

    internal static LinuxInterfaceFlags ReadFlags(int fd, string name)
    {
        LibC.IfReq req;
        Ioctl(fd, name, LibC.SIOCGIFFLAGS, "ioctl(SIOCGIFFLAGS)", &req);
        return (LinuxInterfaceFlags)(ushort)req.Flags;
    }

    /// <summary>The link-layer address (6 bytes for Ethernet, empty for links without one) and the ARPHRD type.</summary>
    internal static byte[] ReadHardwareAddress(int fd, string name, out ushort hardwareType)
    {
        LibC.IfReq req;
        Ioctl(fd, name, LibC.SIOCGIFHWADDR, "ioctl(SIOCGIFHWADDR)", &req);
        hardwareType = req.HwFamily;
        var length = hardwareType is LinuxInterfaceInfo.ArpHardwareEthernet or LinuxInterfaceInfo.ArpHardwareLoopback ? 6 : 0;
        return new ReadOnlySpan<byte>(req.HwData, length).ToArray();
    }

    /// <summary>Like <see cref="ReadFlags"/> but returns the errno instead of throwing (the receive thread polls it).</summary>
    internal static int TryReadFlags(int fd, byte* ifreqName, out LinuxInterfaceFlags flags)
    {
        LibC.IfReq req;
        new Span<byte>(req.Name, LibC.IFNAMSIZ).Clear();
        new ReadOnlySpan<byte>(ifreqName, LibC.IFNAMSIZ).CopyTo(new Span<byte>(req.Name, LibC.IFNAMSIZ));
        flags = LinuxInterfaceFlags.None;
        if (LibC.Ioctl(fd, LibC.SIOCGIFFLAGS, &req) < 0) return LibC.Errno;
        flags = (LinuxInterfaceFlags)(ushort)req.Flags;
        return 0;
    }

    /// <summary>Like <see cref="ReadMtu"/> but returns the errno instead of throwing.</summary>
    internal static int TryReadMtu(int fd, byte* ifreqName, out int mtu)
    {
        LibC.IfReq req;
        new ReadOnlySpan<byte>(ifreqName, LibC.IFNAMSIZ).CopyTo(new Span<byte>(req.Name, LibC.IFNAMSIZ));
        mtu = 0;
        if (LibC.Ioctl(fd, LibC.SIOCGIFMTU, &req) < 0) return LibC.Errno;
        mtu = req.Mtu;
        return 0;
    }

    private static void Ioctl(int fd, string name, uint request, string operation, LibC.IfReq* req)
    {
        *req = default;
        LibC.WriteInterfaceName(name, req->Name);
        int r;
        do r = LibC.Ioctl(fd, request, req);
        while (LibC.Interrupted(r));
        if (r < 0) throw RawSocketException.FromErrno(operation, name);
    }

    private static T WithControlSocket<T>(string name, Func<int, string, T> read)
    {
        LibC.ValidateInterfaceName(name);
        var fd = OpenControlSocket();
        try
        {
            return read(fd, name);
        }
        finally
        {
            LibC.Close(fd);
        }
    }
}
