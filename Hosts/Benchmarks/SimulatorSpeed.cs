using System.Diagnostics;
using System.Globalization;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Benchmarks;

/// <summary>
/// How fast the simulator runs the TCP engine: two TcpStacks over one simulated link, in virtual time, timed with a
/// Stopwatch. A "segment processed" is one TCP segment through a stack's input path (data or ACK).
/// </summary>
public static class SimulatorSpeed
{
    public const long Ms = 1_000_000;
    public const long Second = 1_000_000_000;
    private static readonly IpAddressBytes ClientAddress = new([10, 0, 0, 1]);
    private static readonly IpAddressBytes ServerAddress = new([10, 0, 0, 2]);

    /// <summary>Two stacks, a listener on port 80 whose sockets drain what they receive, and senders that write from one buffer.</summary>
    public sealed class Bench
    {
        private readonly List<Sender> _senders = [];
        private readonly List<Drain> _drains = [];

        public Bench(LinkParameters link, TcpCoreOptions options, ulong seed = 1)
        {
            Net = new SimNetwork(seed);
            Link = Net.Link("path", "client", "server", link);
            var timers = new SimTimerService(Net.Scheduler);
            var clientPort = Net.Host("client").Port("path");
            var serverPort = Net.Host("server").Port("path");
            var serverMac = serverPort.MacAddress.ToArray();
            var clientMac = clientPort.MacAddress.ToArray();
            var isn = new IsnGenerator(BitConverter.GetBytes(seed));
            Client = new TcpStack(clientPort, clientMac, ClientAddress, _ => serverMac, timers, options, isn);
            Server = new TcpStack(serverPort, serverMac, ServerAddress, _ => clientMac, timers, options, isn);
            Server.Listen(80, _ =>
            {
                var d = new Drain();
                _drains.Add(d);
                return new AcceptDecision(d);
            }, s => _drains[^1].Socket = s);
        }

        public SimNetwork Net { get; }
        public SimLink Link { get; }
        public TcpStack Client { get; }
        public TcpStack Server { get; }
        public IReadOnlyList<Sender> Senders => _senders;
        public IReadOnlyList<Drain> Drains => _drains;

        /// <summary>Opens a flow that sends <paramref name="bytes"/> (long.MaxValue: for ever) then closes.</summary>
        public Sender Open(long bytes)
        {
            var s = new Sender(bytes);
            s.Socket = Client.Connect(ServerAddress, 80, s);
            _senders.Add(s);
            return s;
        }

        /// <summary>TCP segments through both stacks' input paths so far (sockets still open and already gone).</summary>
        public long SegmentsProcessed
        {
            get
            {
                long n = 0;
                foreach (var s in _senders) n += s.Socket.Core.Statistics.SegmentsReceived;
                foreach (var d in _drains) n += d.Socket?.Core.Statistics.SegmentsReceived ?? 0;
                return n;
            }
        }

        public long BytesDelivered
        {
            get
            {
                long n = 0;
                foreach (var d in _drains) n += d.Received;
                return n;
            }
        }
    }

    public sealed class Sender(long bytes) : ITcpEvents
    {
        private static readonly byte[] Chunk = CreateChunk();
        private long _remaining = bytes;
        public TcpSocket Socket { get; set; } = null!;

        private static byte[] CreateChunk()
        {
            var b = new byte[256 * 1024];
            new Random(1).NextBytes(b);
            return b;
        }

        public void OnEstablished() => Pump();
        public void OnAcknowledged(long acked) => Pump();
        public void OnDataReadable() { }
        public void OnPeerClosed() { }
        public void OnClosed(TcpCloseReason reason) { }

        private void Pump()
        {
            while (_remaining > 0)
            {
                var n = Socket.Write(Chunk.AsSpan(0, (int)Math.Min(Chunk.Length, _remaining)));
                if (n == 0) return;
                _remaining -= n;
            }
            if (Socket.State is TcpState.Established or TcpState.CloseWait) Socket.Shutdown();
        }
    }

    public sealed class Drain : ITcpEvents
    {
        // Shared by every drain: a simulation runs on one thread, and what is read is thrown away.
        [ThreadStatic] private static byte[]? s_buffer;
        public TcpSocket? Socket { get; set; }
        public long Received { get; private set; }
        public bool Done { get; private set; }

        public void OnEstablished() { }
        public void OnAcknowledged(long bytes) { }

        public void OnDataReadable()
        {
            var buffer = s_buffer ??= new byte[256 * 1024];
            int n;
            while ((n = Socket!.Read(buffer)) > 0) Received += n;
        }

        public void OnPeerClosed()
        {
            OnDataReadable();
            Done = true;
            Socket!.Shutdown();
        }

        public void OnClosed(TcpCloseReason reason) { }
    }

    public readonly record struct BulkResult(double VirtualSeconds, double WallSeconds, long Segments, long Bytes, long Events,
        long AllocatedBytes, long SteadySegments, long Retransmitted)
    {
        public double SegmentsPerWallSecond => Segments / WallSeconds;
        public double WallPerVirtual => WallSeconds / VirtualSeconds;
        public double GoodputBps => Bytes * 8 / VirtualSeconds;
        public double BytesAllocatedPerSegment => (double)AllocatedBytes / SteadySegments;
    }

    /// <summary>
    /// (a) One bulk flow on a <paramref name="rateBps"/>, <paramref name="delayMs"/> ms link with a BDP-sized queue, for
    /// <paramref name="virtualSeconds"/> of virtual time; allocations are counted from <paramref name="steadyFromSeconds"/> on
    /// (after slow start, once buffers, pools and the JIT have warmed up).
    /// </summary>
    public static BulkResult BulkFlow(double rateBps = 1e9, double delayMs = 10, double virtualSeconds = 10, double steadyFromSeconds = 2)
    {
        var bdpPackets = (int)(rateBps * 2 * delayMs / 1000 / 8 / 1514);
        var bench = new Bench(new LinkParameters(RateBps: rateBps, Delay: TimeSpan.FromMilliseconds(delayMs), QueueLimitPackets: bdpPackets),
            new TcpCoreOptions { SendBufferSize = 32 << 20, ReceiveBufferSize = 32 << 20 });
        var scheduler = bench.Net.Scheduler;
        var flow = bench.Open(long.MaxValue);
        var steadyAt = (long)(steadyFromSeconds * Second);
        var end = (long)(virtualSeconds * Second);

        var start = Stopwatch.GetTimestamp();
        scheduler.RunUntil(steadyAt);
        var segmentsAtSteady = bench.SegmentsProcessed;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        scheduler.RunUntil(end);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var segments = bench.SegmentsProcessed;
        return new BulkResult(virtualSeconds, wall, segments, bench.BytesDelivered, scheduler.ExecutedCount, allocated, segments - segmentsAtSteady,
            flow.Socket.Core.Statistics.BytesRetransmitted);
    }

    public readonly record struct ManyResult(int Flows, double VirtualSeconds, double WallSeconds, long Segments, long Bytes, int Completed, long Retransmitted)
    {
        public double SegmentsPerWallSecond => Segments / WallSeconds;
        public double WallPerVirtual => WallSeconds / VirtualSeconds;
    }

    /// <summary>
    /// (b) <paramref name="flows"/> flows of <paramref name="bytesPerFlow"/> each on one link, opened over the first
    /// 100 ms, run until every receiver has seen its FIN.
    /// </summary>
    public static ManyResult ManyFlows(int flows = 1000, long bytesPerFlow = 100_000, double rateBps = 1e9, double delayMs = 10, int queuePackets = 2000)
    {
        var bench = new Bench(new LinkParameters(RateBps: rateBps, Delay: TimeSpan.FromMilliseconds(delayMs), QueueLimitPackets: queuePackets),
            new TcpCoreOptions { SendBufferSize = 64 << 10, ReceiveBufferSize = 64 << 10 });
        var scheduler = bench.Net.Scheduler;
        for (var i = 0; i < flows; i++)
        {
            var at = i * 100 * Ms / flows;
            scheduler.Schedule(at, () => bench.Open(bytesPerFlow));
        }
        long doneAt = -1;
        void Watch()
        {
            var done = 0;
            foreach (var d in bench.Drains)
                if (d.Done) done++;
            if (done == flows)
            {
                doneAt = scheduler.NowNs;
                scheduler.Stop();
            }
            else scheduler.ScheduleAfter(10 * Ms, Watch);
        }
        scheduler.Schedule(100 * Ms, Watch);

        var start = Stopwatch.GetTimestamp();
        scheduler.RunUntilIdle(600 * Second);
        var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var completed = bench.Drains.Count(d => d.Done && d.Received == bytesPerFlow);
        var retransmitted = bench.Senders.Sum(s => s.Socket.Core.Statistics.BytesRetransmitted);
        return new ManyResult(flows, (doneAt < 0 ? scheduler.NowNs : doneAt) / 1e9, wall, bench.SegmentsProcessed, bench.BytesDelivered, completed, retransmitted);
    }

    /// <summary>`--quick sim`: plain lines, one per measurement.</summary>
    public static int Quick(string[] args)
    {
        var seconds = 10.0;
        var i = Array.IndexOf(args, "--seconds");
        if (i >= 0 && i + 1 < args.Length) seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
        var flows = 1000;
        i = Array.IndexOf(args, "--flows");
        if (i >= 0 && i + 1 < args.Length) flows = int.Parse(args[i + 1], CultureInfo.InvariantCulture);

        // Warm-up: the JIT promotes the hot paths before anything is timed.
        BulkFlow(virtualSeconds: 1, steadyFromSeconds: 0.5);
        ManyFlows(flows: 50);

        var a = BulkFlow(virtualSeconds: seconds, steadyFromSeconds: Math.Min(2, seconds / 2));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sim bulk: 1 flow, 1 Gbit/s 10 ms link, {a.VirtualSeconds:0.#} s virtual in {a.WallSeconds:0.00} s wall " +
            $"(wall/virtual {a.WallPerVirtual:0.000}, {1 / a.WallPerVirtual:0.0}x faster than real time)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sim bulk: {a.SegmentsPerWallSecond:N0} segments/s processed ({a.Segments:N0} segments, {a.Events:N0} events), " +
            $"goodput {a.GoodputBps / 1e6:0.0} Mbit/s virtual, {a.Retransmitted:N0} B retransmitted"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sim alloc: {a.BytesAllocatedPerSegment:0.###} bytes allocated per segment in steady state " +
            $"({a.AllocatedBytes:N0} B over {a.SteadySegments:N0} segments)"));

        var b = ManyFlows(flows: flows);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sim many: {b.Flows} flows x 100 KB on one 1 Gbit/s 10 ms link: {b.Completed} complete in {b.VirtualSeconds:0.00} s virtual, " +
            $"{b.WallSeconds:0.00} s wall (wall/virtual {b.WallPerVirtual:0.000})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sim many: {b.SegmentsPerWallSecond:N0} segments/s processed ({b.Segments:N0} segments), {b.Retransmitted:N0} B retransmitted"));
        return b.Completed == b.Flows ? 0 : 1;
    }
}
