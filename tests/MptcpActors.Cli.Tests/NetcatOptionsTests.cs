using System.Net;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;
using MptcpActors.Cli.Netcat;

namespace MptcpActors.Cli.Tests;

public class NetcatOptionsTests
{
    [Theory]
    [InlineData("ve0=10.0.0.2/24", 1500, 1460)]
    [InlineData("ve0=fd00::2/64", 1500, 1440)]
    [InlineData("ve0=10.0.0.2/24", 1400, 1360)]
    [InlineData("ve0=10.0.0.2/24", 9000, 1460)] // the configured MSS (mptcp.tcp.mss) caps it
    public void Mss_follows_the_link_mtu_per_address_family(string iface, int mtu, int expected) =>
        Assert.Equal(expected, Engine.MssFor(1460, mtu, InterfaceSpec.Parse(iface)));

    [Theory]
    [InlineData("eth0=10.1.2.3/16,gw=10.1.0.1", "eth0", "10.1.2.3", 16, "10.1.0.1")]
    [InlineData("ve0=fd00::2/64", "ve0", "fd00::2", 64, null)]
    public void Iface_specs_parse(string text, string name, string address, int prefix, string? gateway)
    {
        var s = InterfaceSpec.Parse(text);
        Assert.Equal((name, address, prefix, gateway), (s.Name, s.Address.ToString(), s.PrefixLength, s.Gateway?.ToString()));
    }

    [Theory]
    [InlineData("eth0")]
    [InlineData("=10.0.0.1/24")]
    [InlineData("eth0=10.0.0.1")]
    [InlineData("eth0=10.0.0.1/33")]
    [InlineData("eth0=fd00::1/129")]
    [InlineData("eth0=10.0.0.1/24,gw=fd00::1")]
    [InlineData("eth0=10.0.0.1/24,via=10.0.0.254")]
    [InlineData("averyveryverylongname=10.0.0.1/24")]
    public void Bad_iface_specs_are_format_errors(string text) => Assert.Throws<FormatException>(() => InterfaceSpec.Parse(text));

    private static MptcpSettings Settings(bool plain = false, bool checksum = false, string? scheduler = null, string? limits = null, params string[] endpoints) =>
        MptcpSettings.FromHocon(
            string.Join("\n", NetcatConfig.FlagLines(plain, checksum, scheduler, limits, endpoints)));

    /// <summary>--endpoint, --limits, --scheduler, --checksum and --plain reach the settings the engine runs with.</summary>
    [Fact]
    public void Path_management_flags_become_settings()
    {
        var s = Settings(false, true, "roundrobin", "subflows=4,add-addr-accepted=1",
            "10.0.1.2,subflow,backup", "fd00::2,signal,port=7000,id=9", "10.0.2.2,signal");
        Assert.True(s.Checksum);
        Assert.Equal(Scheduler.RoundRobin, s.Scheduler);
        Assert.Equal(new PathManagerLimits(4, 1), s.PathManager.Limits);
        var eps = s.PathManager.Endpoints;
        Assert.Equal(3, eps.Count);
        Assert.Equal((IPAddress.Parse("10.0.1.2"), EndpointFlags.Subflow | EndpointFlags.Backup, (int?)null), (eps[0].Address, eps[0].Flags, eps[0].Port));
        Assert.Equal((IPAddress.Parse("fd00::2"), EndpointFlags.Signal, (int?)7000, 9), (eps[1].Address, eps[1].Flags, eps[1].Port, eps[1].Id));
        Assert.Equal(EndpointFlags.Signal, eps[2].Flags);
        Assert.Equal(3, eps.Select(e => e.Id).Distinct().Count());
        Assert.False(Settings(plain: true).Enabled);
        Assert.True(Settings().Enabled);
        Assert.Empty(Settings().PathManager.Endpoints);
    }

    /// <summary>A flag's syntax error names the flag; nothing typed into one can smuggle in another setting.</summary>
    [Theory]
    [InlineData("--endpoint", null, null, "10.0.1.2,subflow,bogus")]
    [InlineData("--endpoint", null, null, "10.0.1.2,port=x")]
    [InlineData("--endpoint", null, null, "10.0.1.2\", mptcp.enabled = false, x=\"")]
    [InlineData("--endpoint", null, null, "")]
    [InlineData("--limits", null, "subflows=2\nmptcp.enabled=false", null)]
    [InlineData("--limits", null, "subflows=-1", null)]
    [InlineData("--limits", null, "joins=2", null)]
    [InlineData("--scheduler", "default\"\nmptcp.enabled = false\nx=\"", null, null)]
    public void Bad_flags_are_errors_naming_the_flag(string flag, string? scheduler, string? limits, string? endpoint)
    {
        var e = Assert.Throws<MptcpConfigurationException>(() => NetcatConfig.FlagLines(false, false, scheduler, limits, endpoint is null ? [] : [endpoint]));
        Assert.Equal(flag, e.Key);
    }

    /// <summary>What the settings refuse (a flag combination Linux refuses, an id out of range) is still refused.</summary>
    [Theory]
    [InlineData("10.0.1.2,signal,fullmesh")]
    [InlineData("10.0.1.2,subflow,port=7000")]
    [InlineData("10.0.1.2,id=300")]
    [InlineData("10.1,subflow")]
    public void Endpoints_the_settings_refuse_are_refused(string endpoint) =>
        Assert.Throws<MptcpConfigurationException>(() => Settings(endpoints: endpoint));

    /// <summary>CLI.md: bad usage exits 2 with one `mptcp: error:` line naming the argument, before any interface is opened.</summary>
    [Theory]
    [InlineData("--endpoint", "10.9.9.9,subflow")]          // not an address of any --iface
    [InlineData("--endpoint", "10.0.0.2,signal,fullmesh")]  // refused by the settings, reported against the flag
    [InlineData("--limits", "subflows=9")]                  // above Linux's maximum
    [InlineData("--scheduler", "fastest")]
    public void Bad_path_management_flags_exit_2_naming_the_flag(string flag, string value)
    {
        var r = MptcpProcess.Run("connect", "10.0.0.1", "5000", "--iface", "nosuchif0=10.0.0.2/24", flag, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("mptcp: error:", line);
        Assert.Contains(flag == "--limits" ? "limits.subflows" : flag == "--scheduler" ? "scheduler" : flag, line);
    }
}
