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
}
