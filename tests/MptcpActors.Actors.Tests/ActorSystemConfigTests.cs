using Akka.Actor;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Configuration;

namespace MptcpActors.Actors.Tests;

public class ActorSystemConfigTests() : TestKit(MptcpConfig.WithFallback(Hocon.Parse("""
    akka.loglevel = WARNING
    mptcp.scheduler = redundant
    mptcp.tcp.mss = 1400
    """)))
{
    [Fact]
    public void The_system_config_holds_the_mptcp_section_with_host_values_over_defaults()
    {
        var config = Sys.Settings.Config;

        Assert.True(config.HasPath("mptcp.path-manager.limits.subflows"));
        Assert.Equal("redundant", config.GetString("mptcp.scheduler"));
        Assert.Equal(1400, config.GetInt("mptcp.tcp.mss"));
        Assert.Equal("cubic", config.GetString("mptcp.congestion-control"));
        Assert.Equal("WARNING", config.GetString("akka.loglevel"));
    }

    [Fact]
    public void Settings_read_from_the_system_are_the_defaults_plus_the_host_overrides()
    {
        var expected = MptcpSettings.Default with
        {
            Scheduler = Scheduler.Redundant,
            Tcp = MptcpSettings.Default.Tcp with { Mss = 1400 },
        };

        Assert.Equal(expected, MptcpSettings.Create(Sys));
    }

    [Fact]
    public void An_actor_sees_the_same_settings_through_its_context()
    {
        var probe = Sys.ActorOf(Props.Create(() => new SettingsReader()));

        probe.Tell("mss");

        Assert.Equal(1400, ExpectMsg<int>());
    }

    private sealed class SettingsReader : ReceiveActor
    {
        public SettingsReader()
        {
            var settings = MptcpSettings.Create(Context.System);
            Receive<string>(_ => Sender.Tell(settings.Tcp.Mss));
        }
    }
}
