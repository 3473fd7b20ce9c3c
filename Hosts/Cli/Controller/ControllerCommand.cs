using System.CommandLine;
using Akka.Actor;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Actors.Sim;
using MptcpActors.Cli.Demo;
using MptcpActors.Cli.PathControl;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Cli.Controller;

/// <summary>
/// <c>mptcp controller</c>: the example userspace path manager (<see cref="PreferWifiController"/>) at work on the simulated
/// network. A phone-like client uploads over Wi-Fi (40 Mbit/s, 8 ms) with LTE (20 Mbit/s, 25 ms) kept as backup; a third
/// of the way in Wi-Fi's delay grows to twice the threshold (a congested hotspot), at two thirds it is back. Prints the path events
/// (as <c>ip mptcp monitor</c> does), the controller's decisions, and what each subflow carried.
/// </summary>
public static class ControllerCommand
{
    public static Command Create()
    {
        var threshold = new Option<double>("--rtt-threshold") { Description = "Wi-Fi RTT (ms) above which LTE carries data", DefaultValueFactory = _ => 100 };
        var duration = new Option<double>("--duration") { Description = "seconds of sending", DefaultValueFactory = _ => 9 };
        var c = new Command("controller", "An example userspace path manager (prefer Wi-Fi, LTE as backup, use LTE when Wi-Fi's RTT grows) on the simulated network")
        {
            threshold, duration,
        };
        c.SetAction(p => Run(p.GetValue(threshold), p.GetValue(duration), Console.Out));
        return c;
    }

    public static int Run(double thresholdMs, double seconds, TextWriter output)
    {
        if (seconds is < 1 or > 600) return CliErrors.Usage(Console.Error, $"--duration: {seconds} is not 1..600 seconds");
        if (thresholdMs is <= 0 or > 10_000) return CliErrors.Usage(Console.Error, $"--rtt-threshold: {thresholdMs} is not 1..10000 ms");
        var duration = TimeSpan.FromSeconds(seconds);
        var wifiLink = new LinkParameters(RateBps: 40e6, Delay: TimeSpan.FromMilliseconds(8), QueueLimitPackets: 60);
        var wifi = new SimPath("wifi", IpAddressBytes.Parse("10.0.1.1"), IpAddressBytes.Parse("10.0.1.2"), 24, wifiLink);
        var lte = new SimPath("lte", IpAddressBytes.Parse("10.0.2.1"), IpAddressBytes.Parse("10.0.2.2"), 24, new LinkParameters(RateBps: 20e6, Delay: TimeSpan.FromMilliseconds(25), QueueLimitPackets: 300));
        var client = MptcpSettings.FromHocon("mptcp.path-manager.type = userspace");
        var server = MptcpSettings.FromHocon("mptcp.path-manager.limits.subflows = 2");
        using var system = ActorSystem.Create("controller", SimTwoNodes.QuietSystemConfig);
        var nodes = new SimTwoNodes(system, [wifi, lte], client, server);
        var log = TextWriter.Synchronized(output);
        system.ActorOf(PreferWifiController.Props(nodes.Local, wifi.LocalAddress, lte.LocalAddress, TimeSpan.FromMilliseconds(thresholdMs), log), "controller");
        MonitorSubscription.Start(system, nodes.Local, log);
        var upload = DemoUpload.Start(system, nodes, 1, duration, new DemoSender.Connection());
        var runClock = upload.Clock;

        // Slow enough to cross the threshold whatever it is: a one-way delay of twice it.
        var slow = TimeSpan.FromMilliseconds(2 * thresholdMs);
        Thread.Sleep(duration / 3);
        log.WriteLine($"-- {runClock.Elapsed.TotalSeconds:F1} s: Wi-Fi delay 8 ms -> {slow.TotalMilliseconds:F0} ms");
        nodes.Sim.Tell(new SimNetworkActor.ChangeNetwork(n => n.GetLink("wifi").SetParameters(wifiLink with { Delay = slow })));
        Thread.Sleep(duration / 3);
        log.WriteLine($"-- {runClock.Elapsed.TotalSeconds:F1} s: Wi-Fi delay back to 8 ms");
        nodes.Sim.Tell(new SimNetworkActor.ChangeNetwork(n => n.GetLink("wifi").SetParameters(wifiLink)));
        var results = upload.Report.Wait(duration + TimeSpan.FromSeconds(60));
        if (results is null) return CliErrors.Failure(Console.Error, "the transfer did not finish within a minute of its end");
        var (up, down) = results.Value;
        foreach (var s in up.Finished?.Subflows ?? [])
            log.WriteLine($"subflow {s.Key}: sent {s.BytesSent} B{(s.Backup ? " (backup at the end)" : "")}");
        var intact = up.Sha256 == down.Sha256 && up.Bytes == down.Bytes;
        log.WriteLine($"{up.Bytes} B sent, {down.Bytes} B received, SHA-256 {(intact ? "equal" : "DIFFERENT")}");
        return intact ? CliErrors.Ok : CliErrors.Failure(Console.Error, "the data arrived damaged");
    }
}
