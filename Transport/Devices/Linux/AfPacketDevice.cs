using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MptcpActors.Transport.Devices.Linux;

/// <summary>
/// A Linux network interface as an <see cref="IFrameDevice"/>: whole Ethernet frames in and out through an AF_PACKET
/// SOCK_RAW socket bound to the interface (all EtherTypes, promiscuous mode off).
/// <para>
/// Receiving: once a receiver is attached, a dedicated thread waits in poll() (on the socket and a wake-up eventfd),
/// reads frames in batches with recvmmsg into preallocated native slots and hands each one to the receiver, on that
/// thread, with no allocation per frame. Frames leaving the interface (this device's own) are never delivered:
/// PACKET_IGNORE_OUTGOING keeps them out of the socket, and sll_pkttype is checked as well for kernels before 4.20.
/// An optional classic BPF <see cref="PacketFilter"/> drops unwanted frames in the kernel; it can be replaced at run time.
/// </para>
/// <para>
/// Sending: <see cref="Transmit"/> is thread-safe and sends at once (one send() call); <see cref="CreateTransmitBatch"/>
/// gives a per-sender batch flushed with one sendmmsg(). Frames that cannot be sent because buffers are full, the link
/// is down or the interface is gone count as <see cref="AfPacketStatistics.TransmitDropped"/>, as a NIC drops them.
/// </para>
/// Needs root (CAP_NET_RAW). 64-bit Linux only.
/// </summary>
public sealed unsafe class AfPacketDevice : IBatchingFrameDevice, ILinkStatus, IDisposable
{
    public const int EthernetHeaderLength = 14;
    public const int VlanTagLength = 4;

    /// <summary>The largest receive slot: a 64 KiB GSO frame and its headers.</summary>
    public const int MaxFrameSize = 65536 + 64;

    private const int Headroom = VlanTagLength;     // room in front of each slot to put a stripped VLAN tag back
    private const int ControlBytes = 64;            // one cmsg with tpacket_auxdata needs 40
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(5);

    private readonly AfPacketDeviceOptions _options;
    private readonly FileDescriptorHandle _socket;
    private readonly FileDescriptorHandle _wake;
    private readonly FileDescriptorHandle? _offloadSocket;
    private readonly int _fd;
    private readonly int _offloadFd = -1;
    private readonly int _wakeFd;
    private readonly byte[] _mac;
    private readonly byte[] _ifreqName = new byte[LibC.IFNAMSIZ];
    private readonly object _gate = new();
    private readonly object _statsGate = new();
    private readonly object _linkGate = new();
    private readonly Dictionary<ulong, int> _multicast = [];
    private HashSet<ulong> _filterGroups = [];
    private IFrameReceiver? _receiver;
    private Thread? _thread;
    private volatile bool _stopping;
    private int _disposed;
    private volatile int _mtu;
    private volatile bool _linkUp;
    private volatile bool _interfaceGone;
    private PacketFilter? _filter;
    private Action<IFrameDevice, bool>? _linkStateChanged;

    // Receive counters: written by the receive thread only.
    private long _rxFrames, _rxBytes, _rxBatches, _outgoingSkipped, _rxTruncated, _checksums, _receiverErrors;
    // Transmit counters: any thread (Interlocked).
    private long _txFrames, _txBytes, _txDropped;
    private long _kernelDrops;

    /// <summary>Opens <paramref name="interfaceName"/> (in this process's network namespace) and reads its index, MTU and MAC.</summary>
    /// <exception cref="RawSocketException">No such interface (<see cref="RawSocketException.IsNoSuchInterface"/>), not root
    /// (<see cref="RawSocketException.IsPermissionDenied"/>), or another socket call failed.</exception>
    /// <exception cref="NotSupportedException">The interface does not carry Ethernet frames (a TUN device, say).</exception>
    public AfPacketDevice(string interfaceName, AfPacketDeviceOptions? options = null)
    {
        LibC.EnsureSupported();
        LibC.ValidateInterfaceName(interfaceName);
        _options = options ?? AfPacketDeviceOptions.Default;
        _options.Validate();
        Name = interfaceName;
        System.Text.Encoding.UTF8.GetBytes(interfaceName, _ifreqName);

        if (!LinuxInterfaces.TryGetIndex(interfaceName, out var index))
        {
            var errno = LibC.Errno;
            throw new RawSocketException("if_nametoindex", errno == 0 ? LibC.ENODEV : errno, interfaceName);
        }
        IfIndex = index;

        // Protocol 0: the socket receives nothing until bind, so the filter is in place before the first frame is queued.
        var fd = LibC.Socket(LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) throw RawSocketException.FromErrno("socket(AF_PACKET, SOCK_RAW)", interfaceName);
        _socket = new FileDescriptorHandle(fd);
        _fd = fd;
        try
        {
            var info = LinuxInterfaces.Read(fd, interfaceName, index);
            if (!info.HasEthernetHeader)
                throw new NotSupportedException(
                    $"interface '{interfaceName}' has link type {info.HardwareType}, not Ethernet: an AF_PACKET device needs Ethernet framing");
            _mtu = info.Mtu;
            _mac = info.HardwareAddress.GetAddressBytes();
            _linkUp = info.IsRunning;
            Configure();
            if (_options.Filter is { } filter) AttachFilter(filter);
            Bind();
            var wake = LibC.EventFd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
            if (wake < 0) throw RawSocketException.FromErrno("eventfd", interfaceName);
            _wake = new FileDescriptorHandle(wake);
            _wakeFd = wake;
            _filter = _options.Filter;
            if (_options.SegmentationOffload && OpenOffloadSocket() is var (handle, offloadFd))
            {
                _offloadSocket = handle;
                _offloadFd = offloadFd;
            }
        }
        catch
        {
            _socket.Dispose();
            _wake?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The socket batches send through when segmentation is offloaded: PACKET_VNET_HDR (each frame follows a
    /// virtio_net_hdr, so the kernel cuts TCP super-segments and finishes their checksums, as for a virtio guest), bound
    /// to the interface with protocol 0 so it receives nothing. A separate socket, because the header would also come
    /// in front of every received frame. Null when the kernel refuses the option.
    /// </summary>
    private (FileDescriptorHandle, int)? OpenOffloadSocket()
    {
        var fd = LibC.Socket(LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) throw RawSocketException.FromErrno("socket(AF_PACKET, SOCK_RAW)", Name);
        var handle = new FileDescriptorHandle(fd);
        try
        {
            var on = 1;
            if (LibC.SetSockOpt(fd, LibC.SOL_PACKET, LibC.PACKET_VNET_HDR, &on, sizeof(int)) < 0)
            {
                if (LibC.Errno is not (LibC.ENOPROTOOPT or LibC.EINVAL)) throw RawSocketException.FromErrno("setsockopt(PACKET_VNET_HDR)", Name);
                handle.Dispose();
                return null;
            }
            ConfigureSending(fd);
            var address = new LibC.SockAddrLl { Family = LibC.AF_PACKET, IfIndex = IfIndex };
            if (LibC.Bind(fd, &address, (uint)sizeof(LibC.SockAddrLl)) < 0)
                throw RawSocketException.FromErrno("bind(AF_PACKET)", Name);
            return (handle, fd);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether batches can carry TCP super-segments the kernel cuts up (<see cref="AfPacketTransmitBatch.TryAddTcpSegments"/>):
    /// <see cref="AfPacketDeviceOptions.SegmentationOffload"/> asked for it and the kernel has PACKET_VNET_HDR.
    /// </summary>
    public bool SegmentationOffload => _offloadSocket is not null;

    public string Name { get; }

    /// <summary>The kernel's index of the interface.</summary>
    public int IfIndex { get; }

    /// <summary>The interface MTU; re-read by the receive thread, so <c>ip link set NAME mtu N</c> shows up here.</summary>
    public int Mtu => _mtu;

    /// <summary>True: the receiver hears <see cref="IFrameReceiver.EndOfBatch"/> after the frames of each recvmmsg.</summary>
    public bool DeliversBatches => true;

    /// <summary>The interface's MAC address (6 bytes; zeros on loopback).</summary>
    public ReadOnlySpan<byte> MacAddress => _mac;

    public PhysicalAddress HardwareAddress => new(_mac);

    /// <summary>Up with carrier (IFF_UP and IFF_RUNNING), as of the last check of the receive thread.</summary>
    public bool IsLinkUp => _linkUp;

    /// <summary>Whether the receive thread runs (from <see cref="Attach"/> until <see cref="Dispose"/>).</summary>
    public bool IsReceiving => _thread is { IsAlive: true };

    /// <summary>Whether the kernel keeps outgoing frames out of the socket (PACKET_IGNORE_OUTGOING, Linux ≥ 4.20).</summary>
    public bool KernelIgnoresOutgoing { get; private set; }

    /// <summary>The BPF filter attached now; null when every frame is taken.</summary>
    public PacketFilter? Filter => Volatile.Read(ref _filter);

    /// <summary>The receive thread (for tests and diagnostics).</summary>
    internal Thread? ReceiveThread => _thread;

    /// <summary>Raised on the receive thread when carrier or admin state changes (checked every <see cref="AfPacketDeviceOptions.LinkCheckInterval"/>).</summary>
    public event Action<IFrameDevice, bool>? LinkStateChanged
    {
        add => _linkStateChanged += value;
        remove => _linkStateChanged -= value;
    }

    /// <summary>Raised on the receive thread when the receiver throws or the socket fails; receiving goes on.</summary>
    public event Action<AfPacketDevice, Exception>? ReceiveFailed;

    public AfPacketStatistics Statistics
    {
        get
        {
            lock (_statsGate)
            {
                var added = false;
                try
                {
                    _socket.DangerousAddRef(ref added);
                    LibC.TPacketStats stats;
                    var length = (uint)sizeof(LibC.TPacketStats);
                    if (LibC.GetSockOpt(_fd, LibC.SOL_PACKET, LibC.PACKET_STATISTICS, &stats, &length) == 0)
                        _kernelDrops += stats.Drops; // reading resets the kernel's counters
                }
                catch (ObjectDisposedException)
                {
                }
                finally
                {
                    if (added) _socket.DangerousRelease();
                }
                return new AfPacketStatistics(
                    Volatile.Read(ref _rxFrames), Volatile.Read(ref _rxBytes), Volatile.Read(ref _rxBatches), Volatile.Read(ref _outgoingSkipped),
                    Volatile.Read(ref _rxTruncated), _kernelDrops, Volatile.Read(ref _checksums), Volatile.Read(ref _receiverErrors),
                    Interlocked.Read(ref _txFrames), Interlocked.Read(ref _txBytes), Interlocked.Read(ref _txDropped));
            }
        }
    }

    /// <summary>Sets the receiver and starts the receive thread. Once: a second, different receiver is refused.</summary>
    public void Attach(IFrameReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (_receiver is not null)
            {
                if (ReferenceEquals(_receiver, receiver)) return;
                throw new InvalidOperationException($"{Name} already has a receiver ({_receiver.GetType().Name})");
            }
            _receiver = receiver;
            _thread = new Thread(ReceiveLoop)
            {
                IsBackground = true,
                Name = $"afpacket-rx {Name}",
            };
            _thread.Start();
        }
    }

    /// <summary>
    /// Sends one frame now (the kernel copies it before this returns). Thread-safe. A frame that cannot go out because of
    /// full buffers, a link that is down or an interface that is gone is counted in <see cref="AfPacketStatistics.TransmitDropped"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The frame is shorter than an Ethernet header or longer than MTU + 14.</exception>
    /// <exception cref="ObjectDisposedException">After <see cref="Dispose"/>.</exception>
    public void Transmit(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EthernetHeaderLength)
            throw new ArgumentException($"a frame needs at least the {EthernetHeaderLength}-byte Ethernet header, not {frame.Length} bytes", nameof(frame));
        var added = false;
        try
        {
            AddSocketRef(ref added);
            nint sent;
            fixed (byte* p = frame)
            {
                do sent = LibC.Send(_fd, p, (nuint)frame.Length, 0);
                while (sent < 0 && LibC.Errno == LibC.EINTR);
            }
            if (sent >= 0)
            {
                Interlocked.Increment(ref _txFrames);
                Interlocked.Add(ref _txBytes, frame.Length);
                return;
            }
            OnSendError(LibC.Errno, frame.Length, "send");
        }
        finally
        {
            if (added) _socket.DangerousRelease();
        }
    }

    /// <summary>
    /// A batch for one sender (not thread-safe itself; the device is): frames are copied in and go out with one sendmmsg
    /// call on <see cref="AfPacketTransmitBatch.Flush"/>. Dispose it when done.
    /// </summary>
    IFrameBatch IBatchingFrameDevice.CreateBatch(int maxFrames) => CreateTransmitBatch(maxFrames);

    public AfPacketTransmitBatch CreateTransmitBatch(int maxFrames = 64)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return new AfPacketTransmitBatch(this, maxFrames);
    }

    /// <summary>Replaces the kernel filter (atomically); null removes it so every frame is taken.</summary>
    /// <remarks>Frames queued under the old filter and not yet read are still delivered.</remarks>
    public void SetFilter(PacketFilter? filter)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            var added = false;
            try
            {
                AddSocketRef(ref added);
                if (filter is null)
                {
                    var zero = 0;
                    if (LibC.SetSockOpt(_fd, LibC.SOL_SOCKET, LibC.SO_DETACH_FILTER, &zero, sizeof(int)) < 0 && LibC.Errno != LibC.ENOENT)
                        throw RawSocketException.FromErrno("setsockopt(SO_DETACH_FILTER)", Name);
                }
                else
                {
                    AttachFilter(filter);
                }
                Volatile.Write(ref _filter, filter);
            }
            finally
            {
                if (added) _socket.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Takes only what <see cref="PacketFilter.ForAddresses"/> lets through for <paramref name="addresses"/>, and joins the
    /// Ethernet multicast groups IPv6 neighbour discovery for them needs (all-nodes, each solicited-node group) so a NIC
    /// with a multicast filter passes them. Call again when the addresses change; groups no longer needed are left.
    /// </summary>
    public PacketFilter SetAddressFilter(IEnumerable<IPAddress> addresses)
    {
        var filter = PacketFilter.ForAddresses(addresses);
        var groups = new HashSet<ulong>();
        foreach (var a in filter.Addresses)
        {
            if (a.AddressFamily != AddressFamily.InterNetworkV6) continue;
            groups.Add(MacKey(PacketFilter.Ipv6MulticastMac(PacketFilter.SolicitedNodeAddress(a.GetAddressBytes()))));
            groups.Add(MacKey([0x33, 0x33, 0, 0, 0, 1]));
        }
        lock (_gate)
        {
            foreach (var g in groups)
                if (!_filterGroups.Contains(g)) ChangeMembership(g, join: true);
            SetFilter(filter);
            foreach (var g in _filterGroups)
                if (!groups.Contains(g)) ChangeMembership(g, join: false);
            _filterGroups = groups;
        }
        return filter;
    }

    /// <summary>Adds an Ethernet multicast address to the interface's filter for this socket (PACKET_ADD_MEMBERSHIP; counted, dropped on close).</summary>
    public void JoinMulticast(ReadOnlySpan<byte> mac)
    {
        var key = MacKey(mac);
        lock (_gate) ChangeMembership(key, join: true);
    }

    /// <summary>Undoes one <see cref="JoinMulticast"/>.</summary>
    public void LeaveMulticast(ReadOnlySpan<byte> mac)
    {
        var key = MacKey(mac);
        lock (_gate) ChangeMembership(key, join: false);
    }

    /// <summary>Re-reads MTU and link state now (the receive thread does it periodically); raises <see cref="LinkStateChanged"/> on a change.</summary>
    public void Refresh()
    {
        var added = false;
        try
        {
            AddSocketRef(ref added);
            fixed (byte* name = _ifreqName) CheckLink(name);
        }
        finally
        {
            if (added) _socket.DangerousRelease();
        }
    }

    /// <summary>Stops the receive thread (promptly: it is woken through an eventfd) and closes the socket.</summary>
    public void Dispose()
    {
        Thread? thread;
        lock (_gate)
        {
            if (_disposed != 0) return;
            _disposed = 1;
            _stopping = true;
            thread = _thread;
        }
        if (thread is not null)
        {
            ulong one = 1;
            LibC.Write(_wakeFd, &one, sizeof(ulong));
            if (thread != Thread.CurrentThread) thread.Join(JoinTimeout);
        }
        // The receive thread holds references on both: if it is still inside the receiver, the close waits for it.
        _socket.Dispose();
        _wake.Dispose();
        _offloadSocket?.Dispose();
    }

    public override string ToString() => $"{Name} (ifindex {IfIndex}, mtu {Mtu}, {HardwareAddress})";

    internal int SendBatch(LibC.MMsgHdr* messages, int count, bool offload)
    {
        var socket = offload ? _offloadSocket! : _socket;
        var added = false;
        try
        {
            AddSocketRef(socket, ref added);
            var fd = offload ? _offloadFd : _fd;
            int done = 0, sent = 0;
            long bytes = 0;
            while (done < count)
            {
                var r = LibC.SendMMsg(fd, messages + done, (uint)(count - done), 0);
                if (r > 0)
                {
                    // sendmmsg counts the virtio_net_hdr in front of each frame on the offload socket; the wire does not.
                    for (var i = done; i < done + r; i++) bytes += messages[i].Len - (offload ? sizeof(LibC.VirtioNetHdr) : 0);
                    done += r;
                    sent += r;
                    continue;
                }
                var errno = r < 0 ? LibC.Errno : LibC.ENOBUFS;
                if (errno == LibC.EINTR) continue;
                // The first frame left failed: count it, go on with the rest.
                ref var failed = ref messages[done].Hdr;
                var length = (int)failed.Iov[failed.IovLen - 1].Length;
                done++;
                OnSendError(errno, length, "sendmmsg", throwOnTooBig: false);
            }
            Interlocked.Add(ref _txFrames, sent);
            Interlocked.Add(ref _txBytes, bytes);
            return sent;
        }
        finally
        {
            if (added) socket.DangerousRelease();
        }
    }

    private void OnSendError(int errno, int length, string operation, bool throwOnTooBig = true)
    {
        switch (errno)
        {
            case LibC.ENOBUFS or LibC.EAGAIN or LibC.ENETDOWN or LibC.ENXIO or LibC.ENODEV:
                Interlocked.Increment(ref _txDropped);
                return;
            case LibC.EMSGSIZE:
                Interlocked.Increment(ref _txDropped);
                if (!throwOnTooBig) return;
                throw new ArgumentException($"a {length}-byte frame does not fit {Name}: MTU {Mtu} + {EthernetHeaderLength} bytes of Ethernet header", "frame");
            case LibC.EBADF:
                throw new ObjectDisposedException(nameof(AfPacketDevice));
            default:
                throw new RawSocketException(operation, errno, Name);
        }
    }

    private void AddSocketRef(ref bool added) => AddSocketRef(_socket, ref added);

    private void AddSocketRef(FileDescriptorHandle socket, ref bool added)
    {
        try
        {
            socket.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            throw new ObjectDisposedException(nameof(AfPacketDevice), $"the AF_PACKET device on {Name} is disposed");
        }
    }

    private void Configure()
    {
        SetBufferSize(_fd, LibC.SO_RCVBUFFORCE, LibC.SO_RCVBUF, _options.ReceiveBufferBytes, "SO_RCVBUF");
        ConfigureSending(_fd);
        if (_options.CompleteChecksums || _options.RestoreVlanTags)
        {
            var on = 1;
            SetOption(LibC.SOL_PACKET, LibC.PACKET_AUXDATA, &on, sizeof(int), "PACKET_AUXDATA");
        }
        if (!_options.DeliverOutgoing && _options.UseKernelIgnoreOutgoing)
        {
            var on = 1;
            KernelIgnoresOutgoing = LibC.SetSockOpt(_fd, LibC.SOL_PACKET, LibC.PACKET_IGNORE_OUTGOING, &on, sizeof(int)) == 0;
        }
    }

    /// <summary>Send buffer, send timeout and qdisc bypass, for the main socket and the offload one alike.</summary>
    private void ConfigureSending(int fd)
    {
        SetBufferSize(fd, LibC.SO_SNDBUFFORCE, LibC.SO_SNDBUF, _options.SendBufferBytes, "SO_SNDBUF");
        var timeout = new LibC.TimeVal
        {
            Sec = (long)_options.SendTimeout.TotalSeconds,
            USec = _options.SendTimeout.Microseconds + _options.SendTimeout.Milliseconds * 1000L,
        };
        SetOption(fd, LibC.SOL_SOCKET, LibC.SO_SNDTIMEO, &timeout, sizeof(LibC.TimeVal), "SO_SNDTIMEO");
        if (_options.QdiscBypass)
        {
            var on = 1;
            SetOption(fd, LibC.SOL_PACKET, LibC.PACKET_QDISC_BYPASS, &on, sizeof(int), "PACKET_QDISC_BYPASS");
        }
    }

    private void SetBufferSize(int fd, int forced, int plain, int bytes, string name)
    {
        if (bytes == 0) return;
        // The FORCE variant ignores net.core.[rw]mem_max but needs CAP_NET_ADMIN; the plain one is capped silently.
        if (LibC.SetSockOpt(fd, LibC.SOL_SOCKET, forced, &bytes, sizeof(int)) == 0) return;
        SetOption(fd, LibC.SOL_SOCKET, plain, &bytes, sizeof(int), name);
    }

    private void SetOption(int level, int option, void* value, int length, string name) => SetOption(_fd, level, option, value, length, name);

    private void SetOption(int fd, int level, int option, void* value, int length, string name)
    {
        if (LibC.SetSockOpt(fd, level, option, value, (uint)length) < 0)
            throw RawSocketException.FromErrno($"setsockopt({name})", Name);
    }

    private void AttachFilter(PacketFilter filter)
    {
        var program = filter.ToNative();
        fixed (LibC.SockFilter* p = program)
        {
            var fprog = new LibC.SockFprog { Len = (ushort)program.Length, Filter = p };
            if (LibC.SetSockOpt(_fd, LibC.SOL_SOCKET, LibC.SO_ATTACH_FILTER, &fprog, (uint)sizeof(LibC.SockFprog)) < 0)
                throw RawSocketException.FromErrno("setsockopt(SO_ATTACH_FILTER)", Name, $"a {program.Length}-instruction BPF program");
        }
    }

    private void Bind()
    {
        var address = new LibC.SockAddrLl
        {
            Family = LibC.AF_PACKET,
            Protocol = LibC.HostToNetwork(LibC.ETH_P_ALL),
            IfIndex = IfIndex,
        };
        if (LibC.Bind(_fd, &address, (uint)sizeof(LibC.SockAddrLl)) < 0)
            throw RawSocketException.FromErrno("bind(AF_PACKET)", Name);
    }

    private void ChangeMembership(ulong key, bool join)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _multicast.TryGetValue(key, out var count);
        if (join ? count > 0 : count > 1)
        {
            _multicast[key] = join ? count + 1 : count - 1;
            return;
        }
        if (!join && count == 0) return;
        var request = new LibC.PacketMreq { IfIndex = IfIndex, Type = LibC.PACKET_MR_MULTICAST, ALen = 6 };
        for (var i = 0; i < 6; i++) request.Address[i] = (byte)(key >> (40 - 8 * i));
        var added = false;
        try
        {
            AddSocketRef(ref added);
            var option = join ? LibC.PACKET_ADD_MEMBERSHIP : LibC.PACKET_DROP_MEMBERSHIP;
            if (LibC.SetSockOpt(_fd, LibC.SOL_PACKET, option, &request, (uint)sizeof(LibC.PacketMreq)) < 0)
                throw RawSocketException.FromErrno(join ? "setsockopt(PACKET_ADD_MEMBERSHIP)" : "setsockopt(PACKET_DROP_MEMBERSHIP)", Name);
        }
        finally
        {
            if (added) _socket.DangerousRelease();
        }
        if (join) _multicast[key] = 1;
        else _multicast.Remove(key);
    }

    private static ulong MacKey(ReadOnlySpan<byte> mac)
    {
        if (mac.Length != 6) throw new ArgumentException($"a MAC address has 6 bytes, not {mac.Length}", nameof(mac));
        if ((mac[0] & 1) == 0) throw new ArgumentException("not a multicast MAC address (the group bit of the first byte is clear)", nameof(mac));
        ulong key = 0;
        foreach (var b in mac) key = (key << 8) | b;
        return key;
    }

    // ---------------------------------------------------------------- receive thread

    private void ReceiveLoop()
    {
        bool socketRef = false, wakeRef = false;
        var ring = default(ReceiveRing);
        try
        {
            _socket.DangerousAddRef(ref socketRef);
            _wake.DangerousAddRef(ref wakeRef);
            ring = ReceiveRing.Allocate(_options.ReceiveBatchSize, InitialSlotSize());
            var fds = stackalloc LibC.PollFd[2];
            var intervalTicks = (long)(_options.LinkCheckInterval.TotalSeconds * Stopwatch.Frequency);
            var nextLinkCheck = Stopwatch.GetTimestamp() + intervalTicks;
            fixed (byte* ifreqName = _ifreqName)
            {
                while (!_stopping)
                {
                    fds[0] = new LibC.PollFd { Fd = _fd, Events = LibC.POLLIN };
                    fds[1] = new LibC.PollFd { Fd = _wakeFd, Events = LibC.POLLIN };
                    var waitMs = (int)Math.Clamp((nextLinkCheck - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency + 1, 1, int.MaxValue);
                    var r = LibC.Poll(fds, 2, waitMs);
                    if (r < 0)
                    {
                        if (LibC.Errno == LibC.EINTR) continue;
                        throw RawSocketException.FromErrno("poll", Name);
                    }
                    if (_stopping || (fds[1].REvents & LibC.POLLIN) != 0) break;
                    var events = fds[0].REvents;
                    if ((events & LibC.POLLNVAL) != 0) break;
                    if ((events & LibC.POLLERR) != 0)
                    {
                        ClearSocketError();
                        CheckLink(ifreqName);
                    }
                    if ((events & LibC.POLLIN) != 0)
                    {
                        try
                        {
                            Drain(ref ring);
                        }
                        catch (RawSocketException e) when (e.Errno is not (LibC.EBADF or LibC.ENOTSOCK))
                        {
                            // Unexpected but maybe passing (ENOMEM, say): report it and keep receiving, without spinning.
                            RaiseReceiveFailed(e);
                            Thread.Sleep(10);
                        }
                    }
                    var now = Stopwatch.GetTimestamp();
                    if (now >= nextLinkCheck)
                    {
                        CheckLink(ifreqName);
                        nextLinkCheck = now + intervalTicks;
                    }
                }
            }
        }
        catch (Exception e)
        {
            RaiseReceiveFailed(e);
        }
        finally
        {
            ring.Free();
            if (wakeRef) _wake.DangerousRelease();
            if (socketRef) _socket.DangerousRelease();
        }
    }

    private int InitialSlotSize() => _options.ReceiveFrameSize > 0 ? _options.ReceiveFrameSize : SlotSizeForMtu(_mtu);

    private static int SlotSizeForMtu(int mtu) => Math.Min(MaxFrameSize, mtu + EthernetHeaderLength + VlanTagLength);

    private void Drain(ref ReceiveRing ring)
    {
        var receiver = _receiver!;
        var deliverOutgoing = _options.DeliverOutgoing;
        var restoreVlan = _options.RestoreVlanTags;
        var completeChecksums = _options.CompleteChecksums;
        var clock = _options.Clock;
        var followMtu = _options.ReceiveFrameSize == 0;
        while (!_stopping)
        {
            if (followMtu && SlotSizeForMtu(_mtu) > ring.SlotSize) ring.Grow(SlotSizeForMtu(_mtu));
            ring.Reset();
            var n = LibC.RecvMMsg(_fd, ring.Headers, (uint)ring.Count, LibC.MSG_DONTWAIT | LibC.MSG_TRUNC, null);
            if (n < 0)
            {
                var errno = LibC.Errno;
                if (errno == LibC.EINTR) continue;
                if (errno is LibC.EAGAIN) return;
                if (errno is LibC.ENETDOWN or LibC.ENXIO or LibC.ENODEV) return; // the link went away: the link check notices
                throw new RawSocketException("recvmmsg", errno, Name);
            }
            if (n == 0) return;
            _rxBatches++;
            var timeNs = clock.NowNs;
            var wanted = 0;
            for (var i = 0; i < n && !_stopping; i++)
            {
                var header = &ring.Headers[i];
                var length = (int)header->Len;
                if (!deliverOutgoing && ring.Names[i].PktType == LibC.PACKET_OUTGOING)
                {
                    _outgoingSkipped++;
                    continue;
                }
                if (length > ring.SlotSize || (header->Hdr.Flags & LibC.MSG_TRUNC) != 0)
                {
                    _rxTruncated++;
                    wanted = Math.Max(wanted, length);
                    continue;
                }
                var data = ring.Slot(i);
                if (header->Hdr.ControlLen >= (nuint)sizeof(LibC.CMsgHdr) && (restoreVlan || completeChecksums))
                {
                    var aux = FindAuxData(header);
                    if (aux != null)
                    {
                        var status = aux->Status;
                        if (restoreVlan && (status & LibC.TP_STATUS_VLAN_VALID) != 0 && length >= 12)
                        {
                            var tpid = (status & LibC.TP_STATUS_VLAN_TPID_VALID) != 0 && aux->VlanTpid != 0 ? aux->VlanTpid : (ushort)0x8100;
                            InsertVlanTag(new Span<byte>(data - VlanTagLength, length + VlanTagLength), tpid, aux->VlanTci);
                            data -= VlanTagLength;
                            length += VlanTagLength;
                        }
                        if (completeChecksums && (status & LibC.TP_STATUS_CSUMNOTREADY) != 0
                            && ChecksumCompletion.TryComplete(new Span<byte>(data, length)))
                            _checksums++;
                    }
                }
                // Counted before the call, so whoever the receiver wakes already sees it in the statistics.
                Volatile.Write(ref _rxFrames, _rxFrames + 1);
                Volatile.Write(ref _rxBytes, _rxBytes + length);
                try
                {
                    receiver.Receive(this, new ReadOnlySpan<byte>(data, length), timeNs);
                }
                catch (Exception e)
                {
                    _receiverErrors++;
                    RaiseReceiveFailed(e);
                }
            }
            try
            {
                receiver.EndOfBatch(this);
            }
            catch (Exception e)
            {
                _receiverErrors++;
                RaiseReceiveFailed(e);
            }
            if (Math.Min(wanted, MaxFrameSize) > ring.SlotSize) ring.Grow(Math.Min(wanted, MaxFrameSize));
            if (n < ring.Count) return;
        }
    }

    /// <summary>
    /// Puts a VLAN tag the NIC stripped back between the MAC addresses and the EtherType: <paramref name="frame"/> starts
    /// with 4 bytes of headroom followed by the untagged frame, and holds the tagged frame afterwards.
    /// </summary>
    internal static void InsertVlanTag(Span<byte> frame, ushort tpid, ushort tci)
    {
        frame.Slice(VlanTagLength, 12).CopyTo(frame);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], tpid);
        BinaryPrimitives.WriteUInt16BigEndian(frame[14..], tci);
    }

    private static LibC.TPacketAuxData* FindAuxData(LibC.MMsgHdr* header)
    {
        var control = (byte*)header->Hdr.Control;
        var end = control + header->Hdr.ControlLen;
        var cmsg = (LibC.CMsgHdr*)control;
        while ((byte*)cmsg + sizeof(LibC.CMsgHdr) <= end && cmsg->Len >= (nuint)sizeof(LibC.CMsgHdr))
        {
            if (cmsg->Level == LibC.SOL_PACKET && cmsg->Type == LibC.PACKET_AUXDATA
                && cmsg->Len >= (nuint)(sizeof(LibC.CMsgHdr) + sizeof(LibC.TPacketAuxData)))
                return (LibC.TPacketAuxData*)(cmsg + 1);
            cmsg = (LibC.CMsgHdr*)((byte*)cmsg + ((cmsg->Len + 7) & ~(nuint)7));
        }
        return null;
    }

    private void ClearSocketError()
    {
        int error;
        var length = (uint)sizeof(int);
        LibC.GetSockOpt(_fd, LibC.SOL_SOCKET, LibC.SO_ERROR, &error, &length);
    }

    private void CheckLink(byte* ifreqName)
    {
        lock (_linkGate) CheckLinkLocked(ifreqName);
    }

    private void CheckLinkLocked(byte* ifreqName)
    {
        bool up;
        if (_interfaceGone)
        {
            up = false;
        }
        else
        {
            var errno = LinuxInterfaces.TryReadFlags(_fd, ifreqName, out var flags);
            if (errno is LibC.ENODEV or LibC.ENXIO) _interfaceGone = true;
            up = errno == 0 && LinuxInterfaces.IsRunning(flags);
            if (errno == 0 && LinuxInterfaces.TryReadMtu(_fd, ifreqName, out var mtu) == 0 && mtu > 0) _mtu = mtu;
        }
        if (up == _linkUp) return;
        _linkUp = up;
        try
        {
            _linkStateChanged?.Invoke(this, up);
        }
        catch (Exception e)
        {
            RaiseReceiveFailed(e);
        }
    }

    private void RaiseReceiveFailed(Exception e)
    {
        try
        {
            ReceiveFailed?.Invoke(this, e);
        }
        catch
        {
            // A failing error handler must not take the receive thread down.
        }
    }

    /// <summary>The receive slots: one recvmmsg header, iovec, sockaddr_ll and control buffer each, in native memory.</summary>
    private struct ReceiveRing
    {
        public LibC.MMsgHdr* Headers;
        public LibC.IoVec* Iovs;
        public LibC.SockAddrLl* Names;
        public byte* Control;
        public byte* Data;
        public int Count;
        public int SlotSize;
        public int Stride;

        public static ReceiveRing Allocate(int count, int slotSize)
        {
            var ring = new ReceiveRing
            {
                Count = count,
                Headers = (LibC.MMsgHdr*)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(LibC.MMsgHdr)),
                Iovs = (LibC.IoVec*)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(LibC.IoVec)),
                Names = (LibC.SockAddrLl*)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(LibC.SockAddrLl)),
                Control = (byte*)NativeMemory.AllocZeroed((nuint)count, ControlBytes),
            };
            ring.AllocateData(slotSize);
            return ring;
        }

        /// <summary>The first byte of slot <paramref name="i"/>'s frame (the headroom lies before it).</summary>
        public readonly byte* Slot(int i) => Data + (nint)i * Stride + Headroom;

        public void Grow(int slotSize)
        {
            NativeMemory.AlignedFree(Data);
            Data = null;
            AllocateData(slotSize);
        }

        public readonly void Reset()
        {
            for (var i = 0; i < Count; i++)
            {
                ref var h = ref Headers[i].Hdr;
                h.NameLen = (uint)sizeof(LibC.SockAddrLl);
                h.ControlLen = ControlBytes;
                h.Flags = 0;
            }
        }

        public void Free()
        {
            if (Data != null) NativeMemory.AlignedFree(Data);
            if (Headers != null) NativeMemory.Free(Headers);
            if (Iovs != null) NativeMemory.Free(Iovs);
            if (Names != null) NativeMemory.Free(Names);
            if (Control != null) NativeMemory.Free(Control);
            this = default;
        }

        private void AllocateData(int slotSize)
        {
            SlotSize = slotSize;
            Stride = (Headroom + slotSize + 63) & ~63;
            Data = (byte*)NativeMemory.AlignedAlloc((nuint)Count * (nuint)Stride, 64);
            for (var i = 0; i < Count; i++)
            {
                Iovs[i] = new LibC.IoVec { Base = Slot(i), Length = (nuint)slotSize };
                ref var h = ref Headers[i].Hdr;
                h.Name = &Names[i];
                h.Iov = &Iovs[i];
                h.IovLen = 1;
                h.Control = Control + (nint)i * ControlBytes;
            }
        }
    }
}
