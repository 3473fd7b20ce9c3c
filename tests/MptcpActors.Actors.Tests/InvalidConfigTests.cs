using Akka.Configuration;
using MptcpActors.Actors.Configuration;

namespace MptcpActors.Actors.Tests;

public class InvalidConfigTests
{
    private const string Endpoints = "mptcp.path-manager.endpoints";

    public static TheoryData<string, string, string> BadValues => new()
    {
        // wrong type
        { "mptcp.enabled = maybe", "mptcp.enabled", "expected true or false, got 'maybe'" },
        { "mptcp.checksum = 1", "mptcp.checksum", "expected true or false, got '1'" },
        { "mptcp.stale-loss-count = four", "mptcp.stale-loss-count", "expected a whole number, got 'four'" },
        { "mptcp.stale-loss-count = 1.5", "mptcp.stale-loss-count", "expected a whole number, got '1.5'" },
        { "mptcp.path-manager.limits.subflows = [1]", "mptcp.path-manager.limits.subflows", "expected a whole number, got a list" },
        { "mptcp.scheduler { name = default }", "mptcp.scheduler", "got an object" },
        { "mptcp.tcp = 5", "mptcp.tcp", "expected an object, got '5'" },
        { "mptcp = on", "mptcp", "expected an object, got 'on'" },
        { "mptcp.interfaces = eth0", "mptcp.interfaces", "expected a list, got 'eth0'" },
        { "mptcp.scheduler = null", "mptcp.scheduler", "has no value" },
        { "mptcp.tcp.send-buffer = lots", "mptcp.tcp.send-buffer", "expected a byte size" },
        { "mptcp.tcp.send-buffer = 1.5 B", "mptcp.tcp.send-buffer", "not a whole number of bytes" },
        { "mptcp.tcp.send-buffer = 4 parsecs", "mptcp.tcp.send-buffer", "'parsecs' in '4 parsecs' is not a byte-size unit" },

        // durations need a unit
        { "mptcp.add-addr-timeout = 120", "mptcp.add-addr-timeout", "'120' has no unit; write e.g. 120s or 120ms" },
        { "mptcp.add-addr-timeout = 2 fortnights", "mptcp.add-addr-timeout", "'fortnights' in '2 fortnights' is not a duration unit" },
        { "mptcp.add-addr-timeout = soon", "mptcp.add-addr-timeout", "expected a duration with a unit" },

        // out of range
        { "mptcp.path-manager.limits.subflows = 9", "mptcp.path-manager.limits.subflows", "9 is above Linux's maximum of 8" },
        { "mptcp.path-manager.limits.add-addr-accepted = 9", "mptcp.path-manager.limits.add-addr-accepted", "9 is above Linux's maximum of 8" },
        { "mptcp.path-manager.limits.subflows = -1", "mptcp.path-manager.limits.subflows", "-1 is below the minimum of 0" },
        { "mptcp.stale-loss-count = 0", "mptcp.stale-loss-count", "0 is below the minimum of 1" },
        { "mptcp.stale-loss-count = 99999999999", "mptcp.stale-loss-count", "99999999999 is above the maximum" },
        { "mptcp.add-addr-timeout = 0s", "mptcp.add-addr-timeout", "0s is below the minimum of 1ms" },
        { "mptcp.add-addr-timeout = -5s", "mptcp.add-addr-timeout", "-5s is below the minimum of 1ms" },
        { "mptcp.tcp.mss = 535", "mptcp.tcp.mss", "535 is below RFC 9293's minimum of 536" },
        { "mptcp.tcp.mss = 65496", "mptcp.tcp.mss", "65496 is above the IPv4 maximum of 65495" },
        { "mptcp.tcp.min-rto = 0ms", "mptcp.tcp.min-rto", "0ms is below the minimum of 1ms" },
        { "mptcp.tcp.max-rto = 121s", "mptcp.tcp.max-rto", "121s is above Linux's maximum of 120s" },
        { "mptcp.tcp.max-rto = 500ms", "mptcp.tcp.max-rto", "500ms is below Linux's minimum of 1s" },
        { "mptcp.tcp { min-rto = 5s, max-rto = 2s, initial-rto = 3s }", "mptcp.tcp.min-rto", "5s is above max-rto (2s)" },
        { "mptcp.tcp.min-rto = 2s", "mptcp.tcp.initial-rto", "1s is outside min-rto..max-rto (2s..120s)" },
        { "mptcp.tcp.delayed-ack = 1s", "mptcp.tcp.delayed-ack", "1s is above RFC 1122's maximum of 500ms" },
        { "mptcp.tcp.receive-buffer = 2GiB", "mptcp.tcp.receive-buffer", "2GiB is above the largest scaled window of 1GiB" },
        { "mptcp.tcp.send-buffer = 1KiB", "mptcp.tcp.send-buffer", "1KiB is below the minimum of 4KiB" },
        { "mptcp.tcp { mss = 9000, send-buffer = 16KiB }", "mptcp.tcp.send-buffer", "16KiB holds fewer than two segments of mss 9000" },
        { "mptcp.tcp.syn-retries = 128", "mptcp.tcp.syn-retries", "128 is above Linux's maximum of 127" },
        { "mptcp.tcp.keepalive.probes = 128", "mptcp.tcp.keepalive.probes", "128 is above Linux's maximum of 127" },
        { "mptcp.tcp.keepalive.time = 10h", "mptcp.tcp.keepalive.time", "10h is above Linux's maximum of 32767s" },
        { "mptcp.reassembly-memory = 1KiB", "mptcp.reassembly-memory", "1KiB is below the minimum of 64KiB" },

        // unknown names
        { "mptcp.scheduler = fastest", "mptcp.scheduler", "'fastest' is not one of default, roundrobin, redundant" },
        { "mptcp.scheduler = RoundRobin", "mptcp.scheduler", "'RoundRobin' is not one of default, roundrobin, redundant" },
        { "mptcp.congestion-control = bbr", "mptcp.congestion-control", "'bbr' is not one of cubic, newreno, lia, olia" },
        { "mptcp.path-manager.type = kernel", "mptcp.path-manager.type", "'kernel' is not one of in-engine, userspace" },
        { "mptcp.raw-socket.receive = mmap", "mptcp.raw-socket.receive", "'mmap' is not one of recvmmsg, ring" },
        { "mptcp.raw-socket.segmentation-offload = maybe", "mptcp.raw-socket.segmentation-offload", "expected true or false, got 'maybe'" },
        { "mptcp.interfaces = [ { name = eth0, address = 10.0.0.2/24, transport = pcap } ]", "mptcp.interfaces[0].transport", "'pcap' is not one of raw, sim, tun" },
        { $"{Endpoints} = [ {{ address = 10.0.0.1, flags = [signal, sginal] }} ]", $"{Endpoints}[0].flags[1]", "'sginal' is not one of signal, subflow, backup, fullmesh" },
        { $"{Endpoints} = [ {{ address = 10.0.0.1, flags = signal }} ]", $"{Endpoints}[0].flags", "expected a list of signal, subflow, backup, fullmesh, got 'signal'" },

        // unknown keys
        { "mptcp.schedular = default", "mptcp.schedular", "unknown key (did you mean 'scheduler'?)" },
        { "mptcp.tcp.keepalive.intervall = 10s", "mptcp.tcp.keepalive.intervall", "did you mean 'interval'?" },
        { "mptcp.path-manager.limits.endpoints = 3", "mptcp.path-manager.limits.endpoints", "unknown key; known keys here: subflows, add-addr-accepted" },
        { "mptcp.interfaces = [ { name = eth0, address = 10.0.0.2/24, gw = 10.0.0.1 } ]", "mptcp.interfaces[0].gw", "unknown key" },

        // endpoints
        { $"{Endpoints} = [ 10.0.0.1 ]", $"{Endpoints}[0]", "expected an object, got '10.0.0.1'" },
        { $"{Endpoints} = [ {{ flags = [subflow] }} ]", $"{Endpoints}[0].address", "has no value" },
        { $"{Endpoints} = [ {{ address = 10.1 }} ]", $"{Endpoints}[0].address", "'10.1' is not an IPv4 or IPv6 address" },
        { $"{Endpoints} = [ {{ address = 10.0.0.256 }} ]", $"{Endpoints}[0].address", "'10.0.0.256' is not an IPv4 or IPv6 address" },
        { $"{Endpoints} = [ {{ address = 010.0.0.1 }} ]", $"{Endpoints}[0].address", "leading zero" },
        { $"{Endpoints} = [ {{ address = \"2001:db8::zz\" }} ]", $"{Endpoints}[0].address", "is not an IPv4 or IPv6 address" },
        { $"{Endpoints} = [ {{ address = 10.0.0.1/24 }} ]", $"{Endpoints}[0].address", "has a /prefix; an endpoint is one address" },
        { $"{Endpoints} = [ {{ address = 224.0.0.1 }} ]", $"{Endpoints}[0].address", "224.0.0.1 is not a unicast address" },
        { $"{Endpoints} = [ {{ address = 0.0.0.0 }} ]", $"{Endpoints}[0].address", "0.0.0.0 is not a unicast address" },
        { $"{Endpoints} = [ {{ address = 10.0.0.1, id = 0 }} ]", $"{Endpoints}[0].id", "0 is below the minimum of 1" },
        { $"{Endpoints} = [ {{ address = 10.0.0.1, id = 256 }} ]", $"{Endpoints}[0].id", "256 is above the maximum of 255" },
        { $"{Endpoints} = [ {{ address = 10.0.0.1, id = 3 }}, {{ address = 10.0.0.2, id = 3 }} ]", $"{Endpoints}[1].id", $"3 is already the id of {Endpoints}[0]" },
        { $"{Endpoints} = [ {{ address = 10.0.0.1 }}, {{ address = 10.0.0.1, flags = [backup] }} ]", $"{Endpoints}[1].address", $"10.0.0.1 is already {Endpoints}[0]" },
        { $"{Endpoints} = [ {{ address = 10.0.0.1, flags = [signal, fullmesh] }} ]", $"{Endpoints}[0].flags", "signal and fullmesh cannot be combined" },
        { $"{Endpoints} = [ {{ address = 10.0.0.1, port = 8080, flags = [subflow] }} ]", $"{Endpoints}[0].port", "a port needs the signal flag and not subflow" },
        { $"{Endpoints} = [ {{ address = 10.0.0.1, port = 70000, flags = [signal] }} ]", $"{Endpoints}[0].port", "70000 is above the maximum of 65535" },
        { $"{Endpoints} = [ {{ address = 10.0.0.1, interface = averyveryverylongname }} ]", $"{Endpoints}[0].interface", "longer than Linux's 15 characters" },

        // interfaces
        { "mptcp.interfaces = [ { address = 10.0.0.2/24 } ]", "mptcp.interfaces[0].name", "has no value" },
        { "mptcp.interfaces = [ { name = \"\", address = 10.0.0.2/24 } ]", "mptcp.interfaces[0].name", "must not be empty" },
        { "mptcp.interfaces = [ { name = \"eth 0\", address = 10.0.0.2/24 } ]", "mptcp.interfaces[0].name", "is not a Linux interface name" },
        { "mptcp.interfaces = [ { name = eth0, address = 10.0.0.2 } ]", "mptcp.interfaces[0].address", "'10.0.0.2' has no /prefix (e.g. 10.0.0.2/24)" },
        { "mptcp.interfaces = [ { name = eth0, address = 10.0.0.2/33 } ]", "mptcp.interfaces[0].address", "'/33' in '10.0.0.2/33' is not a prefix length of 0..32" },
        { "mptcp.interfaces = [ { name = eth0, address = \"fd00::2/129\" } ]", "mptcp.interfaces[0].address", "is not a prefix length of 0..128" },
        { "mptcp.interfaces = [ { name = eth0, address = \"fe80::2%eth0/64\" } ]", "mptcp.interfaces[0].address", "has a zone index" },
        { "mptcp.interfaces = [ { name = eth0, address = 10.0.0.2/x } ]", "mptcp.interfaces[0].address", "is not a prefix length" },
        { "mptcp.interfaces = [ { name = eth0, address = 10.0.0.2/24, gateway = 10.0.1.1 } ]", "mptcp.interfaces[0].gateway", "10.0.1.1 is not inside 10.0.0.0/24, the subnet of 10.0.0.2/24" },
        { "mptcp.interfaces = [ { name = eth0, address = 10.0.0.2/24, gateway = \"fd00::1\" } ]", "mptcp.interfaces[0].gateway", "fd00::1 is not inside 10.0.0.0/24" },
        { "mptcp.interfaces = [ { name = eth0, address = 10.0.0.2/24, gateway = 10.0.0.2 } ]", "mptcp.interfaces[0].gateway", "is the interface's own address" },
        { "mptcp.interfaces = [ { name = eth0, address = 10.0.0.2/24 }, { name = eth0, address = 10.0.1.2/24 } ]", "mptcp.interfaces[1].name", "'eth0' is already the name of mptcp.interfaces[0]" },
        { "mptcp.interfaces = [ { name = eth0, address = 10.0.0.2/24 }, { name = eth1, address = 10.0.0.2/16 } ]", "mptcp.interfaces[1].address", "10.0.0.2 is already the address of mptcp.interfaces[0]" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Bad_value_is_reported_under_its_full_key(string hocon, string key, string problem)
    {
        var error = Assert.Throws<MptcpConfigurationException>(() => MptcpSettings.Create(Hocon.Parse(hocon)));

        Assert.Equal(key, error.Key);
        Assert.Equal(key, error.Errors[0].Key);
        Assert.StartsWith($"{key}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Limit_above_eight_reads_exactly_as_documented()
    {
        var error = Assert.Throws<MptcpConfigurationException>(
            () => MptcpSettings.Create(Hocon.Parse("mptcp.path-manager.limits.subflows = 9")));

        Assert.Equal("mptcp.path-manager.limits.subflows: 9 is above Linux's maximum of 8", error.Message);
        Assert.Equal("mptcp.path-manager.limits.subflows", error.Key);
        Assert.IsAssignableFrom<ConfigurationException>(error);
    }

    [Fact]
    public void Every_error_is_collected_in_file_order()
    {
        var error = Assert.Throws<MptcpConfigurationException>(() => MptcpSettings.Create(Hocon.Parse("""
            mptcp {
              scheduler = fastest
              path-manager.limits.subflows = 9
              tcp.mss = 100
              interfaces = [ { name = eth0, address = 10.0.0.2 } ]
            }
            """)));

        Assert.Equal(
            ["mptcp.scheduler", "mptcp.path-manager.limits.subflows", "mptcp.tcp.mss", "mptcp.interfaces[0].address"],
            error.Errors.Select(e => e.Key));
        Assert.Equal("mptcp.scheduler", error.Key);
        Assert.Equal(string.Join("; ", error.Errors), error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_bad_section_is_reported_once_not_key_by_key()
    {
        var error = Assert.Throws<MptcpConfigurationException>(() => MptcpSettings.Create(Hocon.Parse("mptcp.tcp.keepalive = off")));

        var only = Assert.Single(error.Errors);
        Assert.Equal("mptcp.tcp.keepalive", only.Key);
    }

    [Fact]
    public void Bad_values_in_an_ActorSystem_config_fail_when_settings_are_read()
    {
        var config = MptcpConfig.WithFallback(Hocon.Parse("mptcp.congestion-control = vegas"));

        var error = Assert.Throws<MptcpConfigurationException>(() => MptcpSettings.Create(config));
        Assert.Equal("mptcp.congestion-control", error.Key);
    }
}
