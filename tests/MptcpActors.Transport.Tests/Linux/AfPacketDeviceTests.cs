using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Devices.Linux;
using MptcpActors.Transport.Wire;
using Xunit.Abstractions;

namespace MptcpActors.Transport.Tests.Linux;

/// <summary>
/// The AF_PACKET device against the Linux kernel: a veth pair, the device on the unaddressed end in the test's
/// namespace, the kernel with addresses on the other end in a fresh namespace. Needs root; fails (not skips) without.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed partial class AfPacketDeviceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact]
    public void Opening_a_missing_interface_fails_with_ENODEV_naming_it()
    {
        var e = Assert.Throws<RawSocketException>(() => new AfPacketDevice("mpa-missing0"));
        Assert.True(e.IsNoSuchInterface);
        Assert.False(e.IsPermissionDenied);
        Assert.Equal(19, e.Errno);
        Assert.Equal("mpa-missing0", e.InterfaceName);
        Assert.Contains("no interface named 'mpa-missing0'", e.Message);
    }

    [Fact]
    public void Opening_without_CAP_NET_RAW_fails_with_EPERM_saying_root_is_needed()
    {
        NetnsEnvironment.RequireRoot();
        // Capabilities are per thread in the kernel: drop CAP_NET_RAW on a thread of our own, open there, restore.
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            var restore = Capabilities.DropEffective(Capabilities.NetRaw);
            try
            {
                new AfPacketDevice("lo").Dispose();
            }
            catch (Exception e)
            {
                caught = e;
            }
            finally
            {
                restore();
            }
        });
        thread.Start();
        thread.Join();

        var error = Assert.IsType<RawSocketException>(caught);
        Assert.True(error.IsPermissionDenied);
        Assert.Equal(1, error.Errno); // EPERM
        Assert.Equal("lo", error.InterfaceName);
        Assert.Contains("root or the CAP_NET_RAW capability", error.Message);
        using var device = new AfPacketDevice("lo"); // the capability is back for everyone else
    }

    [Fact]
    public void Reads_ifindex_mtu_and_mac_and_follows_an_mtu_change()
    {
        using var net = VethNamespace.Create(mtu: 9000);
        using var device = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { LinkCheckInterval = TimeSpan.FromMilliseconds(20) });

        Assert.Equal(net.HostInterface, device.Name);
        Assert.Equal(9000, device.Mtu);
        Assert.Equal(net.HostMac, device.MacAddress.ToArray());
        Assert.Equal(VethNamespace.Mac(net.HostMac).Replace(":", "").ToUpperInvariant(), device.HardwareAddress.ToString());
        var ipIndex = int.Parse(NetnsEnvironment.Ip("-o", "link", "show", net.HostInterface).Split(':')[0]);
        Assert.Equal(ipIndex, device.IfIndex);
        Assert.True(device.IsLinkUp);
        var info = LinuxInterfaces.Get(net.HostInterface);
        Assert.Equal((ipIndex, 9000, LinuxInterfaceInfo.ArpHardwareEthernet, true), (info.Index, info.Mtu, info.HardwareType, info.IsRunning));
        Assert.Contains(LinuxInterfaces.List(), i => i.Name == net.HostInterface && i.Index == ipIndex);

        // Raised while running: the receive thread re-reads it and its slots grow to take 64 KiB-MTU frames.
        var receiver = new CollectingReceiver();
        device.Attach(receiver);
        net.AddStaticNeighbor(net.EngineIp4);
        net.SetMtu(65535);
        VethNamespace.WaitUntil(() => device.Mtu == 65535, Wait, $"Mtu stayed {device.Mtu}");
        var dataLength = 65535 - Ipv4Packet.MinHeaderLength - IcmpMessage.HeaderLength;
        device.Transmit(LinuxTestFrames.Icmp4Echo(net.HostMac, net.PeerMac, net.EngineIp4, net.PeerIp4, 7, 1, dataLength));
        var reply = receiver.WaitFor(f => LinuxTestFrames.IsEchoReply(f, net.EngineIp4, 7, 1), Wait);
        Assert.NotNull(reply);
        Assert.Equal(14 + 65535, reply.Length);
        Assert.True(LinuxTestFrames.TryIcmp(reply, out _, out var icmp));
        Assert.Equal(0, InternetChecksum.Compute(icmp.Message));
        for (var i = 0; i < dataLength; i += 997) Assert.Equal((byte)i, icmp.Body[i]);
        Assert.Equal(0, device.Statistics.ReceiveTruncated);
        Assert.Throws<ArgumentException>(() => device.Transmit(new byte[14 + 65535 + 1]));
    }

    [Fact]
    public void An_arp_request_sent_by_the_device_is_answered_by_the_kernel()
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface);
        var receiver = new CollectingReceiver();
        device.Attach(receiver);

        device.Transmit(LinuxTestFrames.ArpRequest(net.HostMac, net.EngineIp4, net.PeerIp4));

        var reply = receiver.WaitFor(f => LinuxTestFrames.IsArpReply(f, net.PeerIp4, net.EngineIp4), Wait);
        Assert.NotNull(reply);
        Assert.True(EthernetFrame.TryParse(reply, out var eth));
        Assert.True(ArpPacket.TryParse(eth.Payload, out var arp));
        Assert.Equal(net.HostMac, eth.Destination.ToArray());
        Assert.Equal(net.PeerMac, arp.SenderHardware.ToArray());
        Assert.Equal(net.HostMac, arp.TargetHardware.ToArray());
        var stats = device.Statistics;
        Assert.Equal(1, stats.TransmittedFrames);
        Assert.Equal(60, stats.TransmittedBytes);
        Assert.True(stats.ReceivedFrames >= 1);
        // The kernel learnt our MAC from the request, as from any host's.
        Assert.Contains(VethNamespace.Mac(net.HostMac), net.PeerIp("neigh", "show", new IPAddress(net.EngineIp4).ToString()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ipv4_ping_round_trip_with_arp_answered_from_the_receive_thread(bool ring)
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface,
            new AfPacketDeviceOptions { Filter = PacketFilter.ForAddresses([new IPAddress(net.EngineIp4)]), ReceiveRing = ring });
        var arpRequests = 0;
        var receiver = new CollectingReceiver((d, frame) =>
        {
            // Play the engine: answer ARP requests for our address (Transmit from the receive thread).
            if (EthernetFrame.TryParse(frame, out var eth) && eth.EtherType == EtherType.Arp && ArpPacket.TryParse(eth.Payload, out var arp)
                && arp.Operation == ArpPacket.OperationRequest && arp.TargetProtocol.SequenceEqual(net.EngineIp4))
            {
                Interlocked.Increment(ref arpRequests);
                d.Transmit(LinuxTestFrames.ArpReply(net.HostMac, net.EngineIp4, arp.SenderHardware, arp.SenderProtocol));
            }
        });
        device.Attach(receiver);

        for (ushort seq = 1; seq <= 3; seq++)
        {
            device.Transmit(LinuxTestFrames.Icmp4Echo(net.HostMac, net.PeerMac, net.EngineIp4, net.PeerIp4, 0x4d50, seq));
            var reply = receiver.WaitFor(f => LinuxTestFrames.IsEchoReply(f, net.EngineIp4, 0x4d50, seq), Wait);
            Assert.NotNull(reply);
            Assert.True(LinuxTestFrames.TryIcmp(reply, out var ip, out var icmp));
            Assert.Equal(net.PeerIp4, ip.Source.ToArray());
            Assert.Equal(0, InternetChecksum.Compute(icmp.Message));
        }
        Assert.True(arpRequests >= 1, "the kernel resolved our address with ARP first");
    }

    [Fact]
    public void Ipv6_ping_round_trip_with_neighbor_discovery_through_the_address_filter()
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface);
        var solicitations = new List<byte[]>();
        var receiver = new CollectingReceiver((d, frame) =>
        {
            if (!LinuxTestFrames.TryIcmp(frame, out var ip, out var icmp) || icmp.Type != IcmpTypes.V6NeighborSolicitation) return;
            var target = icmp.Message.Slice(8, 16); // after the reserved word
            if (!target.SequenceEqual(net.EngineIp6)) return;
            lock (solicitations) solicitations.Add(ip.Destination.ToArray());
            d.Transmit(LinuxTestFrames.NeighborAdvertisement(net.HostMac, net.EngineIp6, frame.AsSpan(6, 6), ip.Source));
        });
        // Set at run time (not through the options), with the solicited-node multicast group joined.
        device.SetAddressFilter([new IPAddress(net.EngineIp6)]);
        device.Attach(receiver);

        device.Transmit(LinuxTestFrames.Icmp6Echo(net.HostMac, net.PeerMac, net.EngineIp6, net.PeerIp6, 0x4d51, 1));

        var reply = receiver.WaitFor(f => LinuxTestFrames.IsEchoReply(f, net.EngineIp6, 0x4d51, 1), Wait);
        Assert.NotNull(reply);
        Assert.True(LinuxTestFrames.TryIcmp(reply, out var ip6, out var icmp6));
        Assert.Equal(0, InternetChecksum.Transport(ip6.Source, ip6.Destination, (byte)IpProtocol.Icmpv6, icmp6.Message));
        lock (solicitations)
        {
            Assert.NotEmpty(solicitations);
            Assert.Equal(IPAddress.Parse($"ff02::1:ff00:{net.EngineIp6[15]:x}"), new IPAddress(solicitations[0]));
        }
        Assert.DoesNotContain(receiver.Frames, f => EthernetFrame.TryParse(f, out var e) && e.EtherType == EtherType.Ipv4);
    }

    [Fact]
    public void Own_frames_and_other_outgoing_frames_are_not_delivered()
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface);
        using var fallback = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { UseKernelIgnoreOutgoing = false });
        using var other = new AfPacketDevice(net.HostInterface);
        using var tap = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { DeliverOutgoing = true });
        var mine = new CollectingReceiver();
        var fallbackFrames = new CollectingReceiver();
        var tapped = new CollectingReceiver();
        device.Attach(mine);
        fallback.Attach(fallbackFrames);
        other.Attach(new CollectingReceiver());
        tap.Attach(tapped);
        Assert.True(device.KernelIgnoresOutgoing, "Linux >= 4.20 supports PACKET_IGNORE_OUTGOING");
        Assert.False(fallback.KernelIgnoresOutgoing);

        var buffer = new byte[60];
        for (uint marker = 1; marker <= 100; marker++)
        {
            device.Transmit(buffer.AsSpan(0, LinuxTestFrames.Experimental(buffer, 60, net.HostMac, LinuxTestFrames.Broadcast, marker)));
            other.Transmit(buffer.AsSpan(0, LinuxTestFrames.Experimental(buffer, 60, net.HostMac, net.PeerMac, 1000 + marker)));
        }
        // A round trip after the burst: once its reply is in, everything sent before has been through the sockets.
        device.Transmit(LinuxTestFrames.ArpRequest(net.HostMac, net.EngineIp4, net.PeerIp4));
        Assert.NotNull(mine.WaitFor(f => LinuxTestFrames.IsArpReply(f, net.PeerIp4, net.EngineIp4), Wait));
        Assert.NotNull(fallbackFrames.WaitFor(f => LinuxTestFrames.IsArpReply(f, net.PeerIp4, net.EngineIp4), Wait));
        VethNamespace.WaitUntil(() => tapped.Frames.Count(f => LinuxTestFrames.IsExperimental(f, out _)) == 200, Wait,
            "the tap (DeliverOutgoing) should see the 200 frames both devices sent: they did leave");

        Assert.DoesNotContain(mine.Frames, f => LinuxTestFrames.IsExperimental(f, out _));
        Assert.DoesNotContain(fallbackFrames.Frames, f => LinuxTestFrames.IsExperimental(f, out _));
        Assert.Equal(0, device.Statistics.OutgoingSkipped); // the kernel kept them out
        Assert.True(fallback.Statistics.OutgoingSkipped >= 201, "without the socket option, sll_pkttype does the job");
    }

    [Fact]
    public void Address_filter_drops_other_destinations_in_the_kernel_and_is_replaceable()
    {
        using var net = VethNamespace.Create();
        IPAddress[] ours = [new(net.EngineIp4), new(net.EngineIp6)];
        IPAddress[] others = [new(net.OtherIp4), new(net.OtherIp6)];
        using var filtered = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { Filter = PacketFilter.ForAddresses(ours) });
        using var witness = new AfPacketDevice(net.HostInterface);
        var seen = new CollectingReceiver();
        var all = new CollectingReceiver();
        filtered.Attach(seen);
        witness.Attach(all);
        foreach (var a in new[] { net.EngineIp4, net.OtherIp4, net.EngineIp6, net.OtherIp6 }) net.AddStaticNeighbor(a);

        ushort seq = 0;
        (byte[] To, ushort Seq)[] PingFromEach()
        {
            seq++;
            filtered.Transmit(LinuxTestFrames.Icmp4Echo(net.HostMac, net.PeerMac, net.EngineIp4, net.PeerIp4, 1, seq));
            filtered.Transmit(LinuxTestFrames.Icmp4Echo(net.HostMac, net.PeerMac, net.OtherIp4, net.PeerIp4, 1, seq));
            filtered.Transmit(LinuxTestFrames.Icmp6Echo(net.HostMac, net.PeerMac, net.EngineIp6, net.PeerIp6, 1, seq));
            filtered.Transmit(LinuxTestFrames.Icmp6Echo(net.HostMac, net.PeerMac, net.OtherIp6, net.PeerIp6, 1, seq));
            (byte[], ushort)[] replies = [(net.EngineIp4, seq), (net.OtherIp4, seq), (net.EngineIp6, seq), (net.OtherIp6, seq)];
            foreach (var (to, s) in replies)
                Assert.NotNull(all.WaitFor(f => LinuxTestFrames.IsEchoReply(f, to, 1, s), Wait)); // the kernel did answer each
            // A round trip through the filtered socket: what it was going to get is in by the time this ARP reply is.
            var arpRepliesBefore = seen.Frames.Count(f => LinuxTestFrames.IsArpReply(f, net.PeerIp4, net.EngineIp4));
            filtered.Transmit(LinuxTestFrames.ArpRequest(net.HostMac, net.EngineIp4, net.PeerIp4));
            VethNamespace.WaitUntil(() => seen.Frames.Count(f => LinuxTestFrames.IsArpReply(f, net.PeerIp4, net.EngineIp4)) > arpRepliesBefore,
                Wait, "ARP passes every filter");
            return replies;
        }
        bool Got(byte[] to, ushort s) => seen.Any(f => LinuxTestFrames.IsEchoReply(f, to, 1, s));

        var first = PingFromEach();
        Assert.True(Got(first[0].To, first[0].Seq), "IPv4 reply to our address passes");
        Assert.False(Got(first[1].To, first[1].Seq), "IPv4 reply to another address is dropped");
        Assert.True(Got(first[2].To, first[2].Seq), "IPv6 reply to our address passes");
        Assert.False(Got(first[3].To, first[3].Seq), "IPv6 reply to another address is dropped");
        Assert.Equal(ours, filtered.Filter!.Addresses);

        filtered.SetAddressFilter(others);
        var second = PingFromEach();
        Assert.False(Got(second[0].To, second[0].Seq), "after replacing, our old address is dropped");
        Assert.True(Got(second[1].To, second[1].Seq), "after replacing, the new address passes");
        Assert.False(Got(second[2].To, second[2].Seq));
        Assert.True(Got(second[3].To, second[3].Seq));

        filtered.SetFilter(null);
        var third = PingFromEach();
        Assert.All(third, r => Assert.True(Got(r.To, r.Seq), "without a filter every reply passes"));
        Assert.Null(filtered.Filter);
        Assert.True(witness.Statistics.ReceivedFrames > filtered.Statistics.ReceivedFrames);
    }

    [Fact]
    public void Offloaded_udp_checksums_from_the_kernel_are_completed()
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface);
        using var raw = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { CompleteChecksums = false });
        var completed = new CollectingReceiver();
        var asGiven = new CollectingReceiver();
        device.Attach(completed);
        raw.Attach(asGiven);
        net.AddStaticNeighbor(net.EngineIp4);

        // The kernel's UDP over a veth leaves the checksum to "hardware" (CHECKSUM_PARTIAL).
        net.Exec("bash", "-c", $"echo hello-mptcp > /dev/udp/{new IPAddress(net.EngineIp4)}/9999");

        static bool IsOurUdp(byte[] f) => EthernetFrame.TryParse(f, out var e) && IpPacket.TryParse(e.Payload, out var ip)
            && ip.Protocol == IpProtocol.Udp && ip.Payload.Length >= 8 && BinaryPrimitives.ReadUInt16BigEndian(ip.Payload[2..]) == 9999;
        static ushort Verify(byte[] f)
        {
            EthernetFrame.TryParse(f, out var e);
            IpPacket.TryParse(e.Payload, out var ip);
            return InternetChecksum.Transport(ip.Source, ip.Destination, (byte)IpProtocol.Udp, ip.Payload);
        }
        var fixedUp = completed.WaitFor(IsOurUdp, Wait);
        var untouched = asGiven.WaitFor(IsOurUdp, Wait);
        Assert.NotNull(fixedUp);
        Assert.NotNull(untouched);
        Assert.Equal(0, Verify(fixedUp));
        Assert.True(Verify(untouched) != 0,
            "the kernel's UDP over a veth should leave its checksum to offload (CHECKSUM_PARTIAL): is tx checksumming off on this veth?");
        Assert.Equal(1, device.Statistics.ChecksumsCompleted);
        Assert.Equal(0, raw.Statistics.ChecksumsCompleted);
        Assert.Equal(fixedUp.AsSpan(0, 40).ToArray(), untouched.AsSpan(0, 40).ToArray()); // only the checksum differs
    }

    [Fact]
    public void A_frame_larger_than_the_slots_is_counted_and_the_slots_grow_for_the_next()
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { ReceiveFrameSize = 400 });
        var receiver = new CollectingReceiver();
        device.Attach(receiver);
        net.AddStaticNeighbor(net.EngineIp4);

        device.Transmit(LinuxTestFrames.Icmp4Echo(net.HostMac, net.PeerMac, net.EngineIp4, net.PeerIp4, 9, 1, dataLength: 1000));
        VethNamespace.WaitUntil(() => device.Statistics.ReceiveTruncated == 1, Wait, "the 1042-byte reply should not fit a 400-byte slot");
        Assert.False(receiver.Any(f => LinuxTestFrames.IsEchoReply(f, net.EngineIp4, 9, 1)), "a truncated frame is never delivered");

        device.Transmit(LinuxTestFrames.Icmp4Echo(net.HostMac, net.PeerMac, net.EngineIp4, net.PeerIp4, 9, 2, dataLength: 1000));
        var reply = receiver.WaitFor(f => LinuxTestFrames.IsEchoReply(f, net.EngineIp4, 9, 2), Wait);
        Assert.NotNull(reply);
        Assert.Equal(14 + 20 + 8 + 1000, reply.Length);
        Assert.Equal(1, device.Statistics.ReceiveTruncated);
    }

    [Fact]
    public void An_interface_that_disappears_takes_the_link_down_without_exceptions()
    {
        var net = VethNamespace.Create();
        AfPacketDevice device;
        try
        {
            device = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { LinkCheckInterval = TimeSpan.FromMilliseconds(20) });
        }
        finally
        {
            net.Dispose(); // deleting the namespace destroys both veth ends
        }
        using (device)
        {
            var failures = 0;
            device.ReceiveFailed += (_, _) => Interlocked.Increment(ref failures);
            device.Attach(new CollectingReceiver());
            VethNamespace.WaitUntil(() => !device.IsLinkUp, Wait, "a deleted interface is down");
            device.Transmit(LinuxTestFrames.ArpRequest(net.HostMac, net.EngineIp4, net.PeerIp4));
            Assert.Equal(1, device.Statistics.TransmitDropped);
            Thread.Sleep(100);
            Assert.True(device.IsReceiving);
            Assert.Equal(0, failures);
        }
        Assert.False(device.IsReceiving);
    }

    [Fact]
    public void An_interface_without_ethernet_framing_is_refused()
    {
        NetnsEnvironment.RequireRoot();
        var name = $"mpa{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}t";
        NetnsEnvironment.Ip("tuntap", "add", "mode", "tun", "name", name);
        try
        {
            var e = Assert.Throws<NotSupportedException>(() => new AfPacketDevice(name));
            Assert.Contains(name, e.Message);
            Assert.Contains("not Ethernet", e.Message);
            Assert.Equal(LinuxInterfaceInfo.ArpHardwareNone, LinuxInterfaces.Get(name).HardwareType);
        }
        finally
        {
            NetnsEnvironment.Run("ip", ["tuntap", "del", "mode", "tun", "name", name], check: false);
        }
    }

    [Fact]
    public void Link_state_follows_the_carrier()
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { LinkCheckInterval = TimeSpan.FromMilliseconds(20) });
        var changes = new List<bool>();
        device.LinkStateChanged += (d, up) =>
        {
            Assert.Same(device, d);
            lock (changes) changes.Add(up);
        };
        device.Attach(new CollectingReceiver());
        Assert.True(device.IsLinkUp);

        net.PeerIp("link", "set", net.PeerInterface, "down");
        VethNamespace.WaitUntil(() => !device.IsLinkUp, Wait, "link should go down with the peer");
        device.Transmit(LinuxTestFrames.ArpRequest(net.HostMac, net.EngineIp4, net.PeerIp4)); // no carrier: dropped or sent into the void, never an exception
        net.PeerIp("link", "set", net.PeerInterface, "up");
        VethNamespace.WaitUntil(() => device.IsLinkUp, Wait, "link should come back up");
        lock (changes) Assert.Equal([false, true], changes);

        NetnsEnvironment.Ip("link", "set", net.HostInterface, "down");
        VethNamespace.WaitUntil(() => !device.IsLinkUp, Wait, "admin down");
        device.Transmit(LinuxTestFrames.ArpRequest(net.HostMac, net.EngineIp4, net.PeerIp4));
        Assert.True(device.Statistics.TransmitDropped >= 1, "a frame sent on a down interface counts as dropped");
        NetnsEnvironment.Ip("link", "set", net.HostInterface, "up");
        VethNamespace.WaitUntil(() => device.IsLinkUp, Wait, "admin up");
        lock (changes) Assert.Equal([false, true, false, true], changes);
        Assert.True(device.IsReceiving);
    }

    [Fact]
    public void Traffic_flows_again_after_the_interface_went_down_and_up()
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { LinkCheckInterval = TimeSpan.FromMilliseconds(20) });
        var receiver = new CollectingReceiver();
        device.Attach(receiver);
        NetnsEnvironment.Ip("link", "set", net.HostInterface, "down");
        VethNamespace.WaitUntil(() => !device.IsLinkUp, Wait, "admin down");
        NetnsEnvironment.Ip("link", "set", net.HostInterface, "up");
        VethNamespace.WaitUntil(() => device.IsLinkUp, Wait, "admin up");

        device.Transmit(LinuxTestFrames.ArpRequest(net.HostMac, net.EngineIp4, net.PeerIp4));
        Assert.NotNull(receiver.WaitFor(f => LinuxTestFrames.IsArpReply(f, net.PeerIp4, net.EngineIp4), Wait));
    }

    [Fact]
    public void Dispose_stops_the_receive_thread_promptly_and_closes_the_socket()
    {
        using var net = VethNamespace.Create();
        // A long link-check interval: only the eventfd can wake the thread quickly.
        var device = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { LinkCheckInterval = TimeSpan.FromSeconds(30) });
        device.Attach(new CollectingReceiver());
        var thread = device.ReceiveThread!;
        VethNamespace.WaitUntil(() => device.IsReceiving, Wait, "thread did not start");
        Thread.Sleep(50); // let it block in poll()
        Assert.Contains(device.IfIndex, PacketSocketIfIndexes());

        var sw = Stopwatch.StartNew();
        device.Dispose();
        sw.Stop();

        output.WriteLine($"Dispose took {sw.Elapsed.TotalMilliseconds:F2} ms");
        Assert.False(thread.IsAlive);
        Assert.False(device.IsReceiving);
        Assert.True(sw.Elapsed < TimeSpan.FromMilliseconds(500), $"Dispose took {sw.Elapsed.TotalMilliseconds} ms");
        Assert.DoesNotContain(device.IfIndex, PacketSocketIfIndexes());
        Assert.Throws<ObjectDisposedException>(() => device.Transmit(new byte[60]));
        Assert.Throws<ObjectDisposedException>(() => device.Attach(new CollectingReceiver()));
        Assert.Throws<ObjectDisposedException>(() => device.SetFilter(null));
        device.Dispose(); // twice is fine
    }

    [Fact]
    public void Dispose_from_inside_the_receiver_ends_the_thread()
    {
        using var net = VethNamespace.Create();
        var device = new AfPacketDevice(net.HostInterface);
        var disposed = false;
        var afterDispose = 0;
        var receiver = new CollectingReceiver((d, frame) =>
        {
            if (disposed) afterDispose++;
            if (!LinuxTestFrames.IsArpReply(frame, net.PeerIp4, net.EngineIp4)) return; // the peer's IPv6 chatter, say
            ((AfPacketDevice)d).Dispose();
            disposed = true;
        });
        device.Attach(receiver);
        device.Transmit(LinuxTestFrames.ArpRequest(net.HostMac, net.EngineIp4, net.PeerIp4));
        VethNamespace.WaitUntil(() => !device.IsReceiving, Wait, "the thread should end after disposing itself");
        Assert.True(disposed);
        Assert.Equal(0, afterDispose);
        Assert.Throws<ObjectDisposedException>(() => device.Transmit(new byte[60]));
    }

    [Fact]
    public void Receiver_exceptions_are_reported_and_receiving_goes_on()
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface);
        var failures = new List<Exception>();
        device.ReceiveFailed += (_, e) =>
        {
            lock (failures) failures.Add(e);
        };
        var calls = 0;
        var receiver = new CollectingReceiver((_, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1) throw new InvalidOperationException("receiver bug");
        });
        device.Attach(receiver);
        Assert.Throws<InvalidOperationException>(() => device.Attach(new CollectingReceiver()));
        device.Attach(receiver); // the same one again is fine

        device.Transmit(LinuxTestFrames.ArpRequest(net.HostMac, net.EngineIp4, net.PeerIp4));
        Assert.NotNull(receiver.WaitFor(f => LinuxTestFrames.IsArpReply(f, net.PeerIp4, net.EngineIp4), Wait));
        device.Transmit(LinuxTestFrames.ArpRequest(net.HostMac, net.OtherIp4, net.PeerIp4));
        Assert.NotNull(receiver.WaitFor(f => LinuxTestFrames.IsArpReply(f, net.PeerIp4, net.OtherIp4), Wait));

        lock (failures) Assert.Equal("receiver bug", Assert.Single(failures).Message);
        Assert.Equal(1, device.Statistics.ReceiverErrors);
        Assert.True(device.IsReceiving);
    }

    [Fact]
    public void Frames_of_impossible_sizes_are_argument_errors()
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface);
        Assert.Throws<ArgumentException>(() => device.Transmit(new byte[13]));
        var e = Assert.Throws<ArgumentException>(() => device.Transmit(new byte[1500 + 14 + 1]));
        Assert.Contains("MTU 1500", e.Message);
        device.Transmit(new byte[1500 + 14]);
        Assert.Equal(1, device.Statistics.TransmittedFrames);
    }

    /// <summary>Through recvmmsg, or through the TPACKET_V3 ring (<see cref="AfPacketDeviceOptions.ReceiveRing"/>).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Receiving_10000_frames_allocates_nothing_on_the_receive_thread(bool ring)
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { ReceiveRing = ring });
        const int warmUp = 500, measured = 10_000;
        var probe = new AllocationProbe(net.PeerIp4, warmUp, measured);
        device.Attach(probe);

        var request = LinuxTestFrames.ArpRequest(net.HostMac, net.EngineIp4, net.PeerIp4);
        var sent = 0;
        var lastProgress = Stopwatch.StartNew();
        var lastSeen = 0;
        var total = Stopwatch.StartNew();
        while (Volatile.Read(ref probe.Replies) < warmUp + measured)
        {
            var replies = Volatile.Read(ref probe.Replies);
            if (replies != lastSeen)
            {
                lastSeen = replies;
                lastProgress.Restart();
            }
            else if (lastProgress.ElapsedMilliseconds > 50)
            {
                sent = replies; // some were lost: stop waiting for them
                lastProgress.Restart();
            }
            if (sent - replies < 64)
            {
                device.Transmit(request);
                sent++;
            }
            else
            {
                Thread.Yield();
            }
            Assert.True(total.Elapsed < TimeSpan.FromSeconds(60), $"only {replies} ARP replies in 60 s");
        }
        VethNamespace.WaitUntil(() => Volatile.Read(ref probe.EndBytes) >= 0, Wait, "the probe never reached its last frame");

        var allocated = probe.EndBytes - probe.StartBytes;
        var stats = device.Statistics;
        output.WriteLine($"{measured} frames received: {allocated} bytes allocated on the receive thread; "
            + $"{stats.ReceivedFrames} frames in {stats.ReceiveBatches} batches, {(warmUp + measured) / total.Elapsed.TotalSeconds:F0} ARP round trips/s, "
            + $"kernel drops {stats.KernelDrops}");
        Assert.True(allocated <= 256, $"the receive path allocated {allocated} bytes over {measured} frames");
    }

    [Fact]
    public void A_transmit_batch_goes_out_with_sendmmsg()
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface);
        var receiver = new CollectingReceiver();
        device.Attach(receiver);
        using var batch = device.CreateTransmitBatch(maxFrames: 16);

        for (var i = 0; i < 40; i++)
        {
            if (i % 2 == 0)
            {
                batch.Add(LinuxTestFrames.ArpRequest(net.HostMac, net.EngineIp4, net.PeerIp4));
            }
            else
            {
                var span = batch.Reserve(100);
                var length = LinuxTestFrames.ArpRequest(span, net.HostMac, net.EngineIp4, net.PeerIp4);
                batch.Commit(Math.Max(length, 60));
            }
        }
        Assert.Equal(8, batch.Count); // 40 = 16 + 16 flushed on the way + 8 waiting
        Assert.Equal(8, batch.Flush());
        Assert.Equal(0, batch.Count);
        Assert.Equal(0, batch.Flush());

        VethNamespace.WaitUntil(() => receiver.Frames.Count(f => LinuxTestFrames.IsArpReply(f, net.PeerIp4, net.EngineIp4)) == 40, Wait,
            "every batched ARP request should be answered");
        var stats = device.Statistics;
        Assert.Equal(40, stats.TransmittedFrames);
        Assert.Equal(40 * 60, stats.TransmittedBytes);
        Assert.Equal(1518, batch.MaxFrameLength);
        Assert.Throws<ArgumentException>(() => batch.TryAdd(new byte[14 + 9000]));
        Assert.Throws<ArgumentException>(() => batch.Add(new byte[10]));
    }

    [Fact]
    public void Send_loop_throughput()
    {
        using var net = VethNamespace.Create();
        foreach (var bypass in new[] { false, true })
        {
            using var device = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { QdiscBypass = bypass });
            var frame = new byte[1514];
            foreach (var size in new[] { 60, 1514 })
            {
                LinuxTestFrames.Experimental(frame, size, net.HostMac, net.PeerMac, 0);
                var single = Measure(() => device.Transmit(frame.AsSpan(0, size)), 1);
                using var batch = device.CreateTransmitBatch(64);
                var batched = Measure(() =>
                {
                    for (var i = 0; i < 64; i++) batch.TryAdd(frame.AsSpan(0, size));
                    batch.Flush();
                }, 64);
                output.WriteLine($"{size,5}-byte frames{(bypass ? ", qdisc bypass" : "")}: send() {Describe(single, size)}; sendmmsg x64 {Describe(batched, size)}");
                Assert.True(single.FramesPerSecond > 10_000 && batched.FramesPerSecond > 10_000, "a raw send loop manages far more than 10k frames/s");
            }
            output.WriteLine($"dropped: {device.Statistics.TransmitDropped}");
        }
    }

    private static (double FramesPerSecond, double CpuSecondsPerGigabit) Measure(Action send, int framesPerCall)
    {
        for (var i = 0; i < 1000; i++) send();
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        long frames = 0;
        while (sw.ElapsedMilliseconds < 700)
        {
            for (var i = 0; i < 64; i++) send();
            frames += 64 * framesPerCall;
        }
        sw.Stop();
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        return (frames / sw.Elapsed.TotalSeconds, cpu / frames);
    }

    private static string Describe((double FramesPerSecond, double CpuSecondsPerFrame) m, int size) =>
        $"{m.FramesPerSecond / 1e6:F2} Mframes/s = {m.FramesPerSecond * size * 8 / 1e9:F2} Gbit/s, "
        + $"{m.CpuSecondsPerFrame * 1e9 / (size * 8):F2} CPU-s per Gbit";

    /// <summary>The interface indexes of every packet socket in this namespace (/proc/net/packet).</summary>
    private static List<int> PacketSocketIfIndexes() =>
        File.ReadAllLines("/proc/net/packet").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(c => c.Length >= 5)
            .Select(c => int.Parse(c[4]))
            .ToList();

    /// <summary>Counts ARP replies and reads the thread's allocation counter at the first and last measured one.</summary>
    private sealed class AllocationProbe(byte[] peerIp, int warmUp, int measured) : IFrameReceiver
    {
        public int Replies;
        public long StartBytes = -1;
        public long EndBytes = -1;

        public void Receive(IFrameDevice device, ReadOnlySpan<byte> frame, long timeNs)
        {
            if (!EthernetFrame.TryParse(frame, out var eth) || eth.EtherType != EtherType.Arp || !ArpPacket.TryParse(eth.Payload, out var arp)
                || arp.Operation != ArpPacket.OperationReply || !arp.SenderProtocol.SequenceEqual(peerIp)) return;
            var n = Replies + 1;
            if (n == warmUp) StartBytes = GC.GetAllocatedBytesForCurrentThread();
            else if (n == warmUp + measured) Volatile.Write(ref EndBytes, GC.GetAllocatedBytesForCurrentThread());
            Volatile.Write(ref Replies, n);
        }
    }

    /// <summary>Per-thread capability changes (capget/capset act on the calling thread only).</summary>
    private static unsafe partial class Capabilities
    {
        public const int NetRaw = 13;
        private const uint Version3 = 0x20080522;

        [StructLayout(LayoutKind.Sequential)]
        private struct Header
        {
            public uint Version;
            public int Pid;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct Data
        {
            public uint Effective;
            public uint Permitted;
            public uint Inheritable;
        }

        [LibraryImport("libc", EntryPoint = "capget", SetLastError = true)]
        private static partial int CapGet(Header* header, Data* data);

        [LibraryImport("libc", EntryPoint = "capset", SetLastError = true)]
        private static partial int CapSet(Header* header, Data* data);

        /// <summary>Clears one capability from this thread's effective set; returns how to put it back.</summary>
        public static Action DropEffective(int capability)
        {
            var header = new Header { Version = Version3 };
            var data = stackalloc Data[2];
            if (CapGet(&header, data) != 0) throw new InvalidOperationException($"capget: errno {Marshal.GetLastPInvokeError()}");
            var saved = data[0];
            data[0].Effective &= ~(1u << capability);
            if (CapSet(&header, data) != 0) throw new InvalidOperationException($"capset: errno {Marshal.GetLastPInvokeError()}");
            return () =>
            {
                var h = new Header { Version = Version3 };
                var d = stackalloc Data[2];
                CapGet(&h, d);
                d[0] = saved;
                if (CapSet(&h, d) != 0) throw new InvalidOperationException($"capset: errno {Marshal.GetLastPInvokeError()}");
            };
        }
    }
}
