using MptcpActors.Transport.Devices.Linux;

namespace MptcpActors.Transport.Tests.Linux;

/// <summary>Interface queries that need no root: the loopback interface always exists.</summary>
public class LinuxInterfacesTests
{
    [Fact]
    public void Loopback_is_listed_and_read()
    {
        Assert.True(OperatingSystem.IsLinux(), "LinuxInterfaces reads Linux interfaces: run on Linux");
        Assert.Contains("lo", LinuxInterfaces.ListNames());
        var lo = Assert.Single(LinuxInterfaces.List(), i => i.Name == "lo");
        Assert.Equal(lo, LinuxInterfaces.Get("lo") with { Flags = lo.Flags });
        Assert.True(lo.IsLoopback);
        Assert.True(lo.IsUp);
        Assert.True(lo.HasEthernetHeader);
        Assert.Equal(LinuxInterfaceInfo.ArpHardwareLoopback, lo.HardwareType);
        Assert.Equal(lo.Index, LinuxInterfaces.GetIndex("lo"));
        Assert.Equal(lo.Mtu, LinuxInterfaces.GetMtu("lo"));
        Assert.True(lo.Mtu >= 1500);
        Assert.Equal("000000000000", LinuxInterfaces.GetHardwareAddress("lo").ToString());
        Assert.True(LinuxInterfaces.IsUp("lo"));
        Assert.True(LinuxInterfaces.Exists("lo"));
        Assert.Equal(LinuxInterfaces.List().Select(i => i.Index).Order(), LinuxInterfaces.List().Select(i => i.Index));
    }

    [Fact]
    public void A_missing_interface_is_a_typed_error_naming_it()
    {
        const string missing = "mpa-nothere0";
        Assert.False(LinuxInterfaces.Exists(missing));
        Assert.False(LinuxInterfaces.TryGet(missing, out _));
        var e = Assert.Throws<RawSocketException>(() => LinuxInterfaces.Get(missing));
        Assert.True(e.IsNoSuchInterface);
        Assert.Equal(19, e.Errno); // ENODEV
        Assert.Equal(missing, e.InterfaceName);
        Assert.Contains(missing, e.Message);
        Assert.Contains("no interface named", e.Message);
        Assert.True(Assert.Throws<RawSocketException>(() => LinuxInterfaces.GetMtu(missing)).IsNoSuchInterface);
        Assert.True(Assert.Throws<RawSocketException>(() => LinuxInterfaces.GetFlags(missing)).IsNoSuchInterface);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sixteen-chars-xx")]
    [InlineData("has/slash")]
    [InlineData("has space")]
    public void Impossible_names_are_argument_errors(string name)
    {
        Assert.Throws<ArgumentException>(() => LinuxInterfaces.GetIndex(name));
        Assert.Throws<ArgumentException>(() => LinuxInterfaces.GetMtu(name));
        Assert.Throws<ArgumentException>(() => new AfPacketDevice(name));
    }
}
