using System.CommandLine;
using Akka.Actor;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Mptcp.Scheduling;
using MptcpActors.Actors.Sim;
using MptcpActors.Actors.Tcp.Congestion;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;
using Spectre.Console;

namespace MptcpActors.Cli.Demo;

/// <summary>
/// <c>mptcp demo</c>: the engine on both ends of the embedded simulated network (no root, no setup): a phone-like
/// client with a Wi-Fi-like and an LTE-like path uploads for a while; the Wi-Fi path fails a third of the way in and
/// comes back at two thirds. A live table while it runs, a summary at the end (per subflow bytes, RTT,
/// retransmissions; the longest stall; SHA-256 of both ends compared).
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var seed = new Option<int>("--seed") { HelpName = "N", Description = "seed of the simulated paths' randomness (loss, jitter)", DefaultValueFactory = _ => 1 };
        var duration = new Option<double>("--duration") { HelpName = "SECONDS", Description = "seconds of sending (1-600)", DefaultValueFactory = _ => 9 };
        var scheduler = new Option<string>("--scheduler") { Description = "which subflow carries the next data (like net.mptcp.scheduler)", DefaultValueFactory = _ => "default" };
        var cc = new Option<string>("--cc") { Description = "congestion control: cubic, newreno (uncoupled), lia, olia (coupled)", DefaultValueFactory = _ => "cubic" };
        scheduler.CompletionSources.Add([.. SettingNames.Schedulers.Names]);
        cc.CompletionSources.Add([.. SettingNames.CongestionControls.Names]);
        var c = new Command("demo", "Two hosts on the simulated network with a Wi-Fi-like and an LTE-like path: a transfer, a path failure and recovery")
        {
            seed, duration, scheduler, cc,
        };
        c.SetAction(p => Run(p.GetValue(seed), p.GetValue(duration), p.GetValue(scheduler)!, p.GetValue(cc)!));
        return c;
    }

    private static int Run(int seed, double seconds, string schedulerName, string ccName)
    {
        if (seconds is < 1 or > 600) return CliErrors.Usage(Console.Error, $"--duration: {seconds} is not 1..600 seconds");
        SchedulerKind scheduler;
        try { scheduler = PacketSchedulerFactory.Parse(schedulerName); }
        catch (ArgumentException e) { return CliErrors.Usage(Console.Error, $"--scheduler: {e.Message}"); }
        if (!SettingNames.CongestionControls.TryParse(ccName.ToLowerInvariant(), out var ccSetting))
            return CliErrors.Usage(Console.Error, $"--cc: unknown congestion control \"{ccName}\"; valid: {SettingNames.CongestionControls}");
        var duration = TimeSpan.FromSeconds(seconds);
        var wifi = new SimPath("wifi", IpAddressBytes.Parse("10.0.1.1"), IpAddressBytes.Parse("10.0.1.2"), 24,
            new LinkParameters(RateBps: 40e6, Delay: TimeSpan.FromMilliseconds(8), Jitter: TimeSpan.FromMilliseconds(2), QueueLimitPackets: 150, LossProbability: 0.001));
        var lte = new SimPath("lte", IpAddressBytes.Parse("10.0.2.1"), IpAddressBytes.Parse("10.0.2.2"), 24,
            new LinkParameters(RateBps: 20e6, Delay: TimeSpan.FromMilliseconds(25), Jitter: TimeSpan.FromMilliseconds(5), QueueLimitPackets: 300, LossProbability: 0.002));
        var client = MptcpSettings.FromHocon(
            "mptcp.path-manager.endpoints = [ { address = 10.0.2.1, flags = [subflow] } ]");
        var server = MptcpSettings.Default;
        using var system = ActorSystem.Create("demo", SimTwoNodes.QuietSystemConfig);
        var nodes = new SimTwoNodes(system, [wifi, lte], client, server, (ulong)seed);
        var connection = new DemoSender.Connection();
        var upload = DemoUpload.Start(system, nodes, seed, duration, connection,
            [new MptcpSocketOptions.Scheduler(scheduler), new MptcpSocketOptions.CongestionControl(ccSetting.ToKind())]);

        var failAt = duration / 3;
        var recoverAt = duration * 2 / 3;
        var timeline = new DemoTimeline(nodes, failAt, recoverAt);
        var live = new DemoLiveView(connection, duration, timeline);
        live.Run(upload.Clock, () => upload.Report.Count >= 2);
        var results = upload.Report.Wait(TimeSpan.FromSeconds(60));
        if (results is null) return CliErrors.Failure(Console.Error, "the transfer did not finish within a minute of its end");
        return DemoSummary.Print(results.Value.Sender, results.Value.Receiver, timeline);
    }
}
