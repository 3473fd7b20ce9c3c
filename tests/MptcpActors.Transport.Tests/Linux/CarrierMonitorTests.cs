using System.Collections.Concurrent;
using MptcpActors.Transport.Devices.Linux;

namespace MptcpActors.Transport.Tests.Linux;

/// <summary>
/// The carrier as rtnetlink tells it, on a veth pair (root): the peer going down and up, and the watched end itself
/// administratively down and up, each told once, in order; changes of an interface not watched are not told.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class CarrierMonitorTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public void Each_change_of_a_watched_interface_is_told_in_order()
    {
        using var net = VethNamespace.Create();
        using var other = VethNamespace.Create();
        var changes = new BlockingCollection<(string Name, bool Up)>();
        using var monitor = new CarrierMonitor([net.HostInterface], (name, up) => changes.Add((name, up)));
        Assert.True(monitor.IsUp(net.HostInterface));

        (string, bool) Next() => changes.TryTake(out var c, Wait) ? c : throw new TimeoutException("no change told");
        other.PeerIp("link", "set", other.PeerInterface, "down"); // not watched: nothing told
        net.PeerIp("link", "set", net.PeerInterface, "down");
        Assert.Equal((net.HostInterface, false), Next());
        Assert.False(monitor.IsUp(net.HostInterface));
        net.PeerIp("link", "set", net.PeerInterface, "up");
        Assert.Equal((net.HostInterface, true), Next());
        NetnsEnvironment.Ip("link", "set", net.HostInterface, "down");
        Assert.Equal((net.HostInterface, false), Next());
        NetnsEnvironment.Ip("link", "set", net.HostInterface, "up");
        Assert.Equal((net.HostInterface, true), Next());
        Assert.True(monitor.IsUp(net.HostInterface));
        Assert.Empty(changes);
    }
}
