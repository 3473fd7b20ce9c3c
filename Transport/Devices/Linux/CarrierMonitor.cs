using System.Runtime.InteropServices;

namespace MptcpActors.Transport.Devices.Linux;

/// <summary>
/// Tells of every change of carrier on named interfaces of the creating thread's network namespace, as Linux reports
/// it: an rtnetlink socket in the link group, which gets RTM_NEWLINK as soon as a veth's peer goes down or up (its
/// link watch event is urgent). Polling <c>/sys/class/net/NAME/carrier</c> saw a change only at the next poll, on a
/// busy machine much later, and a flap shorter than the period not at all. Up means administratively up with carrier
/// (IFF_UP and IFF_LOWER_UP), when that sysfs file reads 1.
/// </summary>
public sealed unsafe class CarrierMonitor : IDisposable
{
    private const int AfNetlink = 16, NetlinkRoute = 0, RtmGroupLink = 1, NoBufferSpace = 105;
    private const ushort RtmNewLink = 16, RtmDelLink = 17, IflaIfName = 3;
    private const uint IffUp = 0x1, IffLowerUp = 0x10000;
    private const int MessageHeader = 16, IfInfoMessage = 16;

    private readonly Dictionary<string, bool> _up;
    private readonly Action<string, bool> _changed;
    private readonly FileDescriptorHandle _socket;
    private readonly Thread _thread;
    private volatile bool _stop;

    [StructLayout(LayoutKind.Sequential)]
    private struct SockAddrNetlink
    {
        public ushort Family;
        public ushort Pad;
        public uint PortId;
        public uint Groups;
    }

    /// <param name="changed">called on the monitor's thread with the interface and whether it is up now</param>
    public CarrierMonitor(IEnumerable<string> interfaces, Action<string, bool> changed)
    {
        _changed = changed;
        var fd = LibC.Socket(AfNetlink, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NetlinkRoute);
        if (fd < 0) throw new RawSocketException("socket(AF_NETLINK)", LibC.Errno, null);
        _socket = new FileDescriptorHandle(fd);
        var address = new SockAddrNetlink { Family = AfNetlink, Groups = RtmGroupLink };
        if (LibC.Bind(fd, &address, (uint)sizeof(SockAddrNetlink)) != 0)
        {
            var errno = LibC.Errno;
            _socket.Dispose();
            throw new RawSocketException("bind(AF_NETLINK, RTMGRP_LINK)", errno, null);
        }
        // Subscribed first, read second: a change between the two is told, never lost.
        _up = interfaces.Distinct().ToDictionary(n => n, ReadCarrier);
        _thread = new Thread(Run) { IsBackground = true, Name = "carrier-monitor" };
        _thread.Start();
    }

    public bool IsUp(string name)
    {
        lock (_up) return _up[name];
    }

    private static bool ReadCarrier(string name)
    {
        // Unreadable (EINVAL) while the interface is administratively down: that is down.
        try { return File.ReadAllText($"/sys/class/net/{name}/carrier").Trim() == "1"; }
        catch (IOException) { return false; }
    }

    private void Run()
    {
        var buffer = new byte[64 * 1024];
        var fd = _socket.Fd;
        fixed (byte* p = buffer)
        {
            while (!_stop)
            {
                var poll = new LibC.PollFd { Fd = fd, Events = LibC.POLLIN };
                if (LibC.Poll(&poll, 1, 100) <= 0) continue;
                var n = LibC.Read(fd, p, (nuint)buffer.Length);
                if (n > 0) Parse(buffer.AsSpan(0, (int)n));
                // The socket's queue overran and messages were lost: read every state again.
                else if (n < 0 && LibC.Errno == NoBufferSpace)
                    foreach (var name in _up.Keys.ToList()) Set(name, ReadCarrier(name));
            }
        }
    }

    /// <summary>A batch of netlink messages: each RTM_NEWLINK / RTM_DELLINK of a watched interface sets its state.</summary>
    private void Parse(ReadOnlySpan<byte> messages)
    {
        while (messages.Length >= MessageHeader)
        {
            var length = (int)MemoryMarshal.Read<uint>(messages);
            var type = MemoryMarshal.Read<ushort>(messages[4..]);
            if (length < MessageHeader || length > messages.Length) return;
            if (type is RtmNewLink or RtmDelLink && length >= MessageHeader + IfInfoMessage)
            {
                var flags = MemoryMarshal.Read<uint>(messages[(MessageHeader + 8)..]);
                if (Name(messages[(MessageHeader + IfInfoMessage)..length]) is { } name)
                    Set(name, type == RtmNewLink && (flags & (IffUp | IffLowerUp)) == (IffUp | IffLowerUp));
            }
            messages = messages[Math.Min(messages.Length, Align(length))..];
        }
    }

    /// <summary>The IFLA_IFNAME attribute among a link message's attributes.</summary>
    private static string? Name(ReadOnlySpan<byte> attributes)
    {
        while (attributes.Length >= 4)
        {
            var length = MemoryMarshal.Read<ushort>(attributes);
            if (length < 4 || length > attributes.Length) return null;
            if (MemoryMarshal.Read<ushort>(attributes[2..]) == IflaIfName)
            {
                var value = attributes[4..length];
                var end = value.IndexOf((byte)0);
                return System.Text.Encoding.ASCII.GetString(end < 0 ? value : value[..end]);
            }
            attributes = attributes[Math.Min(attributes.Length, Align(length))..];
        }
        return null;
    }

    private static int Align(int length) => (length + 3) & ~3;

    private void Set(string name, bool up)
    {
        lock (_up)
        {
            if (!_up.TryGetValue(name, out var was) || was == up) return;
            _up[name] = up;
        }
        _changed(name, up);
    }

    public void Dispose()
    {
        _stop = true;
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(1));
        _socket.Dispose();
    }
}
