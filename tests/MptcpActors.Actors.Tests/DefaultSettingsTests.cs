using Akka.Configuration;
using MptcpActors.Actors.Configuration;

namespace MptcpActors.Actors.Tests;

public class DefaultSettingsTests
{
    // The values akka.hocon documents, written out: changing a default must change this test too.
    private static readonly MptcpSettings Documented = new(
        Enabled: true,
        Checksum: false,
        AllowJoinInitialAddrPort: true,
        AddAddrTimeout: TimeSpan.FromSeconds(120),
        StaleLossCount: 4,
        Scheduler: Scheduler.Default,
        CongestionControl: CongestionControl.Cubic,
        ReassemblyMemory: 6 << 20,
        PathManager: new PathManagerSettings(
            Type: PathManagerType.InEngine,
            Limits: new PathManagerLimits(Subflows: 2, AddAddrAccepted: 0),
            Endpoints: []),
        Tcp: new TcpSettings(
            Mss: 1460,
            InitialRto: TimeSpan.FromSeconds(1),
            MinRto: TimeSpan.FromMilliseconds(200),
            MaxRto: TimeSpan.FromSeconds(120),
            SendBuffer: 4 << 20,
            ReceiveBuffer: 6 << 20,
            DelayedAck: TimeSpan.FromMilliseconds(40),
            Nagle: true,
            Sack: true,
            Timestamps: true,
            WindowScaling: true,
            SynRetries: 6,
            Keepalive: new KeepaliveSettings(Enabled: false, Time: TimeSpan.FromHours(2), Interval: TimeSpan.FromSeconds(75), Probes: 9)),
        Interfaces: [])
    {
        RawSocket = new RawSocketSettings(RawSocketReceive.Recvmmsg, SegmentationOffload: true),
    };

    [Fact]
    public void Raw_socket_settings_are_read()
    {
        var settings = MptcpSettings.Create(ConfigurationFactory.ParseString("mptcp.raw-socket { receive = ring, segmentation-offload = off }"));
        Assert.Equal(new RawSocketSettings(RawSocketReceive.Ring, SegmentationOffload: false), settings.RawSocket);
        Assert.NotEqual(MptcpSettings.Default, settings);
    }

    [Fact]
    public void Embedded_default_reads_as_the_documented_defaults()
    {
        Assert.Equal(Documented, MptcpSettings.Create(MptcpConfig.Default));
    }

    [Fact]
    public void Default_property_is_the_embedded_config_read()
    {
        Assert.Equal(Documented, MptcpSettings.Default);
    }

    [Fact]
    public void An_empty_host_config_gets_every_default()
    {
        Assert.Equal(Documented, MptcpSettings.Create(ConfigurationFactory.Empty));
        Assert.Equal(Documented, MptcpSettings.Create(Hocon.Parse("akka.loglevel = DEBUG")));
    }

    [Fact]
    public void Embedded_resource_is_the_akka_hocon_at_the_repository_root()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "akka.hocon")))
            directory = directory.Parent;

        Assert.NotNull(directory);
        Assert.Equal(File.ReadAllText(Path.Combine(directory.FullName, "akka.hocon")), MptcpConfig.DefaultHocon);
    }

    [Fact]
    public void Default_config_has_everything_under_the_mptcp_root()
    {
        var keys = MptcpConfig.Default.Root.GetObject().Items.Keys;
        Assert.Equal(["mptcp"], keys);
    }

    [Fact]
    public void Settings_compare_by_value_including_lists()
    {
        const string hocon = """
            mptcp.path-manager.endpoints = [ { address = 10.0.0.1, flags = [signal] } ]
            mptcp.interfaces = [ { name = eth1, address = 10.0.0.1/24 } ]
            """;
        var first = MptcpSettings.Create(Hocon.Parse(hocon));
        var second = MptcpSettings.Create(Hocon.Parse(hocon));

        Assert.NotSame(first, second);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
        Assert.NotEqual(MptcpSettings.Default, first);
    }
}
