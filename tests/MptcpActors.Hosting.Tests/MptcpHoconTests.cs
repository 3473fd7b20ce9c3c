using System.Net;
using Microsoft.Extensions.Configuration;
using MptcpActors.Actors.Configuration;

namespace MptcpActors.Hosting.Tests;

/// <summary>Every typed option lands on its HOCON key of akka.hocon; options left out keep the defaults.</summary>
public class MptcpHoconTests
{
    [Fact]
    public void No_option_set_keeps_every_default() =>
        Assert.Equal(MptcpSettings.Default, MptcpSettings.Create(MptcpHocon.From(new MptcpOptions())));

    [Fact]
    public void Options_bind_from_an_appsettings_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mptcp:Scheduler"] = "RoundRobin",
            ["Mptcp:AddAddrTimeout"] = "00:00:30",
            ["Mptcp:PathManager:Subflows"] = "3",
            ["Mptcp:PathManager:Endpoints:0:Address"] = "10.0.2.1",
            ["Mptcp:PathManager:Endpoints:0:Flags"] = "Subflow, Backup",
            ["Mptcp:Tcp:SendBuffer"] = "1048576",
            ["Mptcp:Interfaces:0:Name"] = "eth1",
            ["Mptcp:Interfaces:0:Address"] = "10.0.2.1/24",
        }).Build();

        var s = MptcpSettings.Create(MptcpHocon.From(configuration.GetSection("Mptcp").Get<MptcpOptions>()!));

        Assert.Equal(Scheduler.RoundRobin, s.Scheduler);
        Assert.Equal(TimeSpan.FromSeconds(30), s.AddAddrTimeout);
        Assert.Equal(3, s.PathManager.Limits.Subflows);
        Assert.Equal(EndpointFlags.Subflow | EndpointFlags.Backup, Assert.Single(s.PathManager.Endpoints).Flags);
        Assert.Equal(1 << 20, s.Tcp.SendBuffer);
        Assert.Equal("eth1", Assert.Single(s.Interfaces).Name);
    }

    [Fact]
    public void Every_option_is_read_back_from_its_key()
    {
        var o = new MptcpOptions
        {
            Enabled = false,
            Checksum = true,
            AllowJoinInitialAddrPort = false,
            AddAddrTimeout = TimeSpan.FromSeconds(30),
            StaleLossCount = 6,
            Scheduler = Scheduler.Redundant,
            CongestionControl = CongestionControl.Olia,
            ReassemblyMemory = 1 << 20,
            PathManager = new MptcpPathManagerOptions
            {
                Type = PathManagerType.Userspace,
                Subflows = 4,
                AddAddrAccepted = 3,
                Endpoints =
                [
                    new() { Address = "10.0.2.1", Interface = "lte0", Flags = EndpointFlags.Subflow | EndpointFlags.Backup },
                    new() { Address = "2001:db8::1", Id = 5, Port = 8443, Flags = EndpointFlags.Signal },
                ],
            },
            Tcp = new MptcpTcpOptions
            {
                Mss = 1400,
                InitialRto = TimeSpan.FromMilliseconds(500),
                MinRto = TimeSpan.FromMilliseconds(100),
                MaxRto = TimeSpan.FromSeconds(60),
                SendBuffer = 2 << 20,
                ReceiveBuffer = 3 << 20,
                DelayedAck = TimeSpan.Zero,
                Nagle = false,
                Sack = false,
                Timestamps = false,
                WindowScaling = false,
                SynRetries = 3,
                Keepalive = new MptcpKeepaliveOptions { Enabled = true, Time = TimeSpan.FromMinutes(5), Interval = TimeSpan.FromSeconds(10), Probes = 4 },
            },
            Interfaces =
            [
                new() { Name = "eth1", Address = "10.0.1.2/24", Gateway = "10.0.1.1" },
                new() { Name = "lte0", Address = "10.0.2.1/24", Transport = InterfaceTransport.Raw },
            ],
        };

        var s = MptcpSettings.Create(MptcpHocon.From(o));

        var d = MptcpSettings.Default;
        var expected = d with
        {
            Enabled = false,
            Checksum = true,
            AllowJoinInitialAddrPort = false,
            AddAddrTimeout = TimeSpan.FromSeconds(30),
            StaleLossCount = 6,
            Scheduler = Scheduler.Redundant,
            CongestionControl = CongestionControl.Olia,
            ReassemblyMemory = 1 << 20,
            PathManager = new PathManagerSettings(PathManagerType.Userspace, new PathManagerLimits(4, 3), new EquatableList<EndpointSettings>(
            [
                new EndpointSettings(IPAddress.Parse("10.0.2.1"), null, 1, "lte0", EndpointFlags.Subflow | EndpointFlags.Backup),
                new EndpointSettings(IPAddress.Parse("2001:db8::1"), 8443, 5, null, EndpointFlags.Signal),
            ])),
            Tcp = new TcpSettings(1400, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60), 2 << 20, 3 << 20,
                TimeSpan.Zero, false, false, false, false, 3, new KeepaliveSettings(true, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(10), 4)),
            Interfaces = new EquatableList<InterfaceSettings>(
            [
                new InterfaceSettings("eth1", new InterfaceAddress(IPAddress.Parse("10.0.1.2"), 24), IPAddress.Parse("10.0.1.1"), InterfaceTransport.Raw),
                new InterfaceSettings("lte0", new InterfaceAddress(IPAddress.Parse("10.0.2.1"), 24), null, InterfaceTransport.Raw),
            ]),
        };
        Assert.Equal(expected, s);
    }
}
