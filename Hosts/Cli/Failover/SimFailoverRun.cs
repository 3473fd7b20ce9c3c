using System.Net;
using Akka.Actor;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Mptcp.Scheduling;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Actors.Sim;
using MptcpActors.Actors.Tcp.Congestion;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cli.Failover;

/// <summary>
/// Runs a scenario on the simulated network in virtual time, the engine on both ends (<see cref="SimTwoNodes"/> under a
/// <see cref="VirtualTimeDriver"/>): path i joins client 10.0.i+1.1 and server 10.0.i+1.2; the client connects over the
/// first path and opens a subflow from each other path's address (a backup one where the path says so). The faults
/// are events of the simulator at their exact virtual times (time 0 is the client's connect).
/// </summary>
public static class SimFailoverRun
{
    public const ushort Port = 5201;
    public static readonly TimeSpan Bucket = TimeSpan.FromMilliseconds(100);

    public static FailoverOutcome Run(Scenario scenario, Action<TimeSpan, long>? progress = null)
    {
        var config = VirtualTimeDriver.Config.WithFallback(SimTwoNodes.QuietSystemConfig)
            .WithFallback(ConfigurationFactory.ParseString("akka.coordinated-shutdown.run-by-actor-system-terminate = off"));
        var system = ActorSystem.Create("failover", config);
        var driver = new VirtualTimeDriver(system);
        var paths = scenario.Paths.Select((p, i) => new SimPath(p.Name, IpAddressBytes.Parse($"10.0.{i + 1}.1"), IpAddressBytes.Parse($"10.0.{i + 1}.2"), 24, p.Link)).ToList();
        // Neighbours resolved by ARP, as the hosts on namespaces (and Linux) do: a join's first ARP request costs its
        // path a round trip, 0.3 s on a 150 ms path, which the simulator's MAC table had saved it.
        var nodes = new SimTwoNodes(system, paths, Settings(scenario, paths, client: true), Settings(scenario, paths, client: false), scenario.Seed,
            resolveNeighbors: true);
        driver.Attach(nodes.Network, nodes.Sim);
        var trace = nodes.Network.EnableTrace(Bucket.Ticks * 100);
        var ends = new RunEnds();
        foreach (var fault in scenario.Faults) Schedule(nodes, paths, fault);

        var traffic = scenario.Traffic;
        var seed = (int)(scenario.Seed % int.MaxValue);
        nodes.Peer.Tell(new TcpMsg.Bind(system.ActorOf(Props.Create(() => new TrafficListener(SendPlan.For(traffic, server: true, seed + 1), ends))),
            new IPEndPoint(IPAddress.Any, Port)));
        driver.RunUntilIdle();
        var client = system.ActorOf(Props.Create(() => new TrafficEnd(true, SendPlan.For(traffic, server: false, seed), ends)));
        nodes.Local.Tell(new TcpMsg.Connect(new IPEndPoint(paths[0].PeerAddress.ToIPAddress(), Port), options:
        [
            new MptcpSocketOptions.Scheduler(scenario.Scheduler.ToKind()),
            new MptcpSocketOptions.CongestionControl(scenario.CongestionControl.ToKind()),
        ]), client);
        var limit = Limit(scenario);
        var done = driver.RunUntil(() => ends.Count >= 2, limit, now => progress?.Invoke(now, 0));
        var outcome = FailoverAnalysis.Build(scenario, ends.Results, Series(scenario, nodes.Network, trace),
            key => PathOf(paths, key.LocalAddress) ?? PathOf(paths, key.RemoteAddress) ?? key.ToString(),
            done ? null : $"the transfer did not finish within {limit.TotalSeconds:F0} s of simulated time");
        driver.Shutdown(TimeSpan.FromSeconds(30));
        return outcome;
    }

    /// <summary>
    /// How long a run may take: the bytes (or the duration, and then what the connection's buffers may still hold) at a
    /// tenth of what the regular paths can carry (round robin: as many times the slowest), past the last fault, plus a minute. A lossy path carries what TCP gets through
    /// its loss (Mathis et al.: MSS / RTT · 1.22 / √p), far below its rate: a 1 s download over 4 % loss and 250 ms
    /// leaves megabytes in the send buffer that take minutes.
    /// </summary>
    public static TimeSpan Limit(Scenario scenario)
    {
        var traffic = scenario.Traffic;
        // Backup paths carry data only while the others cannot, so they add nothing while a regular one works.
        // Round robin gives each path its turn, so the slowest (a lossy one) sets the pace of the others: the receiver
        // waits for its share in order.
        var regular = scenario.Paths.Where(p => !p.Backup).ToList();
        var carrying = (regular.Count > 0 ? regular : scenario.Paths).Select(p => Achievable(scenario, p)).ToList();
        var capacity = (scenario.Scheduler == Scheduler.RoundRobin ? carrying.Count * carrying.Min() : carrying.Sum()) / 10;
        var buffered = 2.0 * MptcpSettings.Default.Tcp.SendBuffer * 8;
        var sending = traffic.Duration is { } d
            ? d + TimeSpan.FromSeconds(Math.Min((traffic.RateBps ?? double.MaxValue) * d.TotalSeconds, capacity * 10 * d.TotalSeconds + buffered) / capacity)
            : TimeSpan.FromSeconds(traffic.MostBytes!.Value * 8.0 / Math.Min(traffic.RateBps ?? double.MaxValue, capacity));
        var lastFault = scenario.Faults.Select(f => f.At).DefaultIfEmpty().Max();
        return (sending > lastFault ? sending : lastFault) + TimeSpan.FromMinutes(1);
    }

    /// <summary>The bit rate a path allows a TCP flow at its worst loss and longest delay over the scenario.</summary>
    private static double Achievable(Scenario scenario, ScenarioPath p)
    {
        var sets = scenario.Faults.Where(f => f.Path == p.Name).ToList();
        var loss = sets.Select(f => f.Loss ?? 0).Append(p.Loss).Max();
        var rtt = 2 * (sets.Select(f => f.Delay ?? TimeSpan.Zero).Append(p.Delay).Max() + p.Jitter).TotalSeconds + 0.01;
        var rate = sets.Select(f => f.RateBps ?? double.MaxValue).Append(p.RateBps).Min();
        return loss > 0 ? Math.Min(rate, 1448 * 8 / rtt * 1.22 / Math.Sqrt(loss)) : rate;
    }

    private static MptcpSettings Settings(Scenario scenario, IReadOnlyList<SimPath> paths, bool client)
    {
        // Akka's HOCON reads "[ ]" as a list of one empty value, so a node without endpoints gets no list at all.
        var endpoints = client && scenario.Paths.Count > 1
            ? "mptcp.path-manager.endpoints = [" + string.Join(", ", scenario.Paths.Skip(1).Select((p, i) =>
                $"{{ address = {paths[i + 1].LocalAddress}, flags = [subflow{(p.Backup ? ", backup" : "")}] }}")) + "]"
            : "";
        return MptcpSettings.FromHocon($$"""
            {{endpoints}}
            mptcp.path-manager.limits.subflows = {{Math.Max(2, scenario.Paths.Count - 1)}}
            mptcp.scheduler = {{SettingNames.Schedulers.NameOf(scenario.Scheduler)}}
            mptcp.congestion-control = {{SettingNames.CongestionControls.NameOf(scenario.CongestionControl)}}
            """);
    }

    private static void Schedule(SimTwoNodes nodes, IReadOnlyList<SimPath> paths, ScenarioFault fault)
    {
        var path = paths.First(p => p.Name == fault.Path);
        nodes.Network.At(fault.At.Ticks * 100, fault.Path, link =>
        {
            switch (fault.Action)
            {
                case FaultAction.Down:
                    link.Down();
                    Carrier(nodes, fault.Path, up: false);
                    break;
                // up undoes down and restore undoes blackhole, each leaving the other as it is: overlapping faults
                // (a blackhole, then down and up) end when their own undoing comes.
                case FaultAction.Up:
                    link.CarrierUp();
                    Carrier(nodes, fault.Path, up: true);
                    break;
                case FaultAction.Restore: link.Restore(); break;
                case FaultAction.Blackhole: link.Blackhole(); break;
                case FaultAction.Set:
                    link.SetParameters(Changed(link.AToB.Parameters, fault), Changed(link.BToA.Parameters, fault));
                    // The client's endpoint changes (`ip mptcp endpoint change ... backup`, as on namespaces): MP_PRIO on
                    // its subflows, and the flag on those it opens later (a join still to come, one after a down).
                    if (fault.Backup is { } backup)
                        nodes.Local.Tell(new ChangeEndpoint(0, backup, Address: path.LocalAddress.ToIPAddress()), ActorRefs.NoSender);
                    break;
            }
        });
    }

    /// <summary>
    /// Both hosts see the path's carrier go or come back, as an engine end does on namespaces (the router's veth ends go
    /// down and its link watcher tells its path manager): the subflows crossing that interface close at once, the client
    /// joins from it again once it is back. A blackhole keeps the carrier.
    /// </summary>
    private static void Carrier(SimTwoNodes nodes, string path, bool up)
    {
        nodes.Local.Tell(new InterfaceStateChanged(path, up));
        nodes.Peer.Tell(new InterfaceStateChanged(path, up));
    }

    /// <summary>A link's parameters after a set fault (what it does not give stays).</summary>
    internal static LinkParameters Changed(LinkParameters p, ScenarioFault f) => p with
    {
        RateBps = f.RateBps ?? p.RateBps,
        Delay = f.Delay ?? p.Delay,
        LossProbability = f.Loss ?? p.LossProbability,
    };

    /// <summary>Each path's throughput in the data's direction(s), from a trace of its link (A is the client's end).</summary>
    internal static IReadOnlyList<PathSeries> Series(Scenario scenario, SimNetwork network, NetworkTrace trace) =>
        scenario.Paths.Select(p =>
        {
            var link = network.GetLink(p.Name);
            var directions = new List<LinkTrace>();
            if (scenario.Traffic.Uploads) directions.Add(trace.For(link.AToB));
            if (scenario.Traffic.Downloads) directions.Add(trace.For(link.BToA));
            var count = directions.Max(d => d.Buckets.Count);
            var t = new double[count];
            var mbps = new double[count];
            for (var i = 0; i < count; i++)
            {
                t[i] = Math.Round(i * Bucket.TotalSeconds, 3);
                var bytes = directions.Sum(d => i < d.Buckets.Count ? d.Buckets[i].DeliveredBytes : 0);
                mbps[i] = Math.Round(bytes * 8 / Bucket.TotalSeconds / 1e6, 3);
            }
            return new PathSeries(p.Name, t, mbps);
        }).ToList();

    private static string? PathOf(IReadOnlyList<SimPath> paths, IpAddressBytes address) =>
        paths.FirstOrDefault(p => p.LocalAddress.Equals(address))?.Name;
}
