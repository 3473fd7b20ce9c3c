using System.Net;
using MptcpActors.Actors.Configuration;

namespace MptcpActors.Actors.Tests;

public class FallbackTests
{
    [Fact]
    public void Host_values_win_and_the_rest_comes_from_the_default()
    {
        var host = Hocon.Parse("""
            mptcp {
              scheduler = redundant
              checksum = on
              path-manager.limits.subflows = 8
              tcp {
                mss = 1400
                keepalive.enabled = yes
              }
            }
            """);

        var settings = MptcpSettings.Create(MptcpConfig.WithFallback(host));

        var expected = MptcpSettings.Default with
        {
            Scheduler = Scheduler.Redundant,
            Checksum = true,
            PathManager = MptcpSettings.Default.PathManager with { Limits = new PathManagerLimits(8, 0) },
            Tcp = MptcpSettings.Default.Tcp with
            {
                Mss = 1400,
                Keepalive = MptcpSettings.Default.Tcp.Keepalive with { Enabled = true },
            },
        };
        Assert.Equal(expected, settings);
    }

    [Fact]
    public void WithFallback_keeps_host_keys_outside_mptcp_and_adds_the_defaults()
    {
        var merged = MptcpConfig.WithFallback(Hocon.Parse("akka.loglevel = WARNING\nmptcp.tcp.mss = 1200"));

        Assert.Equal("WARNING", merged.GetString("akka.loglevel"));
        Assert.Equal(1200, merged.GetInt("mptcp.tcp.mss"));
        Assert.Equal("cubic", merged.GetString("mptcp.congestion-control"));
        Assert.Equal(2, merged.GetInt("mptcp.path-manager.limits.subflows"));
    }

    [Fact]
    public void Overriding_leaves_the_shared_default_untouched()
    {
        MptcpSettings.Create(Hocon.Parse("mptcp.tcp { mss = 9000, keepalive.probes = 3 }"));

        Assert.Equal(1460, MptcpConfig.Default.GetInt("mptcp.tcp.mss"));
        Assert.Equal(9, MptcpConfig.Default.GetInt("mptcp.tcp.keepalive.probes"));
        Assert.Equal(1460, MptcpSettings.Create(MptcpConfig.Default).Tcp.Mss);
    }

    [Fact]
    public void WithFallback_can_be_applied_more_than_once()
    {
        var once = MptcpConfig.WithFallback(Hocon.Parse("mptcp.scheduler = roundrobin"));
        var twice = MptcpConfig.WithFallback(once);

        Assert.Equal(Scheduler.RoundRobin, MptcpSettings.Create(twice).Scheduler);
        Assert.Same(MptcpConfig.Default, MptcpConfig.WithFallback(MptcpConfig.Default));
        Assert.Same(MptcpConfig.Default, MptcpConfig.WithFallback(null));
    }

    [Fact]
    public void A_host_list_replaces_the_default_list()
    {
        var settings = MptcpSettings.Create(Hocon.Parse("""
            mptcp.path-manager {
              type = userspace
              limits { subflows = 4, add-addr-accepted = 8 }
              endpoints = [
                { address = 10.0.2.1, interface = lte0, flags = [subflow, backup] }
                { address = "2001:db8::1", id = 1, port = 8080, flags = [signal] }
                { address = 10.0.3.1, flags = [subflow, fullmesh] }
                { address = 10.0.4.1 }
              ]
            }
            """));

        var pm = settings.PathManager;
        Assert.Equal(PathManagerType.Userspace, pm.Type);
        Assert.Equal(new PathManagerLimits(4, 8), pm.Limits);
        EndpointSettings[] expected =
        [
            // Ids left out take the lowest ones no other entry uses, as Linux assigns them.
            new(IPAddress.Parse("10.0.2.1"), null, 2, "lte0", EndpointFlags.Subflow | EndpointFlags.Backup),
            new(IPAddress.Parse("2001:db8::1"), 8080, 1, null, EndpointFlags.Signal),
            new(IPAddress.Parse("10.0.3.1"), null, 3, null, EndpointFlags.Subflow | EndpointFlags.Fullmesh),
            new(IPAddress.Parse("10.0.4.1"), null, 4, null, EndpointFlags.None),
        ];
        Assert.Equal(expected, pm.Endpoints);
    }

    [Fact]
    public void Interfaces_are_read_with_prefix_gateway_and_transport()
    {
        var settings = MptcpSettings.Create(Hocon.Parse("""
            mptcp.interfaces = [
              { name = eth1, address = 10.0.1.2/24, gateway = 10.0.1.1 }
              { name = wlan0, address = "fd00::2/64", gateway = "fd00::1", transport = tun }
              { name = sim0, address = 192.168.7.9/32, transport = sim }
            ]
            """));

        InterfaceSettings[] expected =
        [
            new("eth1", new InterfaceAddress(IPAddress.Parse("10.0.1.2"), 24), IPAddress.Parse("10.0.1.1"), InterfaceTransport.Raw),
            new("wlan0", new InterfaceAddress(IPAddress.Parse("fd00::2"), 64), IPAddress.Parse("fd00::1"), InterfaceTransport.Tun),
            new("sim0", new InterfaceAddress(IPAddress.Parse("192.168.7.9"), 32), null, InterfaceTransport.Sim),
        ];
        Assert.Equal(expected, settings.Interfaces);
        Assert.Equal("10.0.1.0/24", settings.Interfaces[0].Address.Network.ToString());
        Assert.True(settings.Interfaces[0].Address.Contains(IPAddress.Parse("10.0.1.200")));
        Assert.False(settings.Interfaces[0].Address.Contains(IPAddress.Parse("10.0.2.1")));
    }

    [Theory]
    [InlineData("1.5s", 1500)]
    [InlineData("250 ms", 250)]
    [InlineData("2 minutes", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1500000us", 1500)]
    public void Durations_take_HOCON_units(string text, int milliseconds)
    {
        var settings = MptcpSettings.Create(Hocon.Parse($"mptcp.add-addr-timeout = {text}"));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), settings.AddAddrTimeout);
    }

    [Theory]
    [InlineData("65536", 65536)]
    [InlineData("64KiB", 65536)]
    [InlineData("64K", 65536)]
    [InlineData("100kB", 100_000)]
    [InlineData("2MB", 2_000_000)]
    [InlineData("1.5MiB", 1_572_864)]
    [InlineData("1GiB", 1 << 30)]
    public void Byte_sizes_take_HOCON_units(string text, int bytes)
    {
        var settings = MptcpSettings.Create(Hocon.Parse($"mptcp.tcp.receive-buffer = {text}"));
        Assert.Equal(bytes, settings.Tcp.ReceiveBuffer);
    }

    [Fact]
    public void Booleans_take_every_HOCON_spelling()
    {
        Assert.False(MptcpSettings.Create(Hocon.Parse("mptcp.enabled = off")).Enabled);
        Assert.False(MptcpSettings.Create(Hocon.Parse("mptcp.enabled = no")).Enabled);
        Assert.True(MptcpSettings.Create(Hocon.Parse("mptcp.checksum = yes")).Checksum);
        Assert.True(MptcpSettings.Create(Hocon.Parse("mptcp.checksum = true")).Checksum);
    }

    [Fact]
    public void Enum_names_print_back_as_HOCON_spells_them()
    {
        Assert.Equal("roundrobin", SettingNames.Schedulers.NameOf(Scheduler.RoundRobin));
        Assert.Equal("in-engine", SettingNames.PathManagerTypes.NameOf(PathManagerType.InEngine));
        Assert.Equal("newreno", SettingNames.CongestionControls.NameOf(CongestionControl.NewReno));
    }
}
