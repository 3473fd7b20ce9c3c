using System.Diagnostics;
using BenchmarkDotNet.Running;
using MptcpActors.Transport.Crypto;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains(IdleMemoryBenchmark.ChildFlag)) return IdleMemoryBenchmark.Child(args);
        if (args.Contains("--interop")) return Interop.InteropBenchmark.Run(args);
        if (args.Contains("--simult")) return SimultFlowsBenchmark.Run(args);
        if (args.Contains("--token-affinity")) return TokenAffinityBenchmark.Run(args);
        if (args.Contains("--cluster-connections")) return ClusterConnectionsBenchmark.Run(args);
        if (args.Contains("--cluster")) return ClusterBenchmark.Run(args);
        if (args.Contains("--sim-vs-netns")) return SimVsNetnsBenchmark.Run(args);
        if (args.Contains("--quick")) return args.Contains("sim") ? SimulatorSpeed.Quick(args) : Quick(args);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    /// <summary>The parse loop without BenchmarkDotNet: ~2 s of frames, timed with Stopwatch, allocations from the GC's per-thread counter.</summary>
    private static int Quick(string[] args)
    {
        var seconds = 2.0;
        var i = Array.IndexOf(args, "--seconds");
        if (i >= 0 && i + 1 < args.Length) seconds = double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);

        var payload = DataSegment.CreatePayload(DataSegment.PayloadLength);
        var frame = new byte[DataSegment.FrameLength];
        var length = DataSegment.Build(frame, payload);
        if (!SelfCheck(frame, length)) return 1;

        // Warm up so tiered compilation has promoted the loop before the clock starts.
        var sink = Run(frame, TimeSpan.FromSeconds(Math.Min(0.5, seconds / 4)), out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var start = Stopwatch.GetTimestamp();
        sink += Run(frame, TimeSpan.FromSeconds(seconds), out var frames);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Console.WriteLine($"frame: {length} bytes (Ethernet/IPv4/TCP, TS + DSS 8-byte DATA_ACK + 8-byte DSN + checksum, {DataSegment.PayloadLength}-byte payload)");
        Console.WriteLine($"parse: {frames / elapsed.TotalSeconds:N0} frames/s, {(double)allocated / frames:0.###} bytes allocated per frame " +
            $"({frames:N0} frames in {elapsed.TotalSeconds:0.00} s, {elapsed.TotalNanoseconds / frames:0.0} ns/frame, {allocated} B total)");
        GC.KeepAlive(sink);
        return 0;
    }

    private static ulong Run(byte[] frame, TimeSpan duration, out long frames)
    {
        const int batch = DataSegmentBenchmarks.FramesPerInvoke;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        ulong acc = 0;
        frames = 0;
        do
        {
            ReadOnlySpan<byte> span = frame;
            for (var i = 0; i < batch; i++) acc += DataSegment.Parse(span);
            frames += batch;
        } while (Stopwatch.GetTimestamp() < end);
        return acc;
    }

    /// <summary>The frame must be what the benchmarks claim: right length, valid IPv4/TCP/DSS checksums, both options found.</summary>
    private static bool SelfCheck(byte[] frame, int length)
    {
        var ok = length == DataSegment.FrameLength
            && EthernetFrame.TryParse(frame, out var eth)
            && Ipv4Packet.TryParse(eth.Payload, out var ip) && ip.HeaderChecksumValid && ip.IsComplete
            && TcpSegment.TryParse(ip.Payload, out var tcp) && tcp.ChecksumValid(ip.Source, ip.Destination)
            && tcp.HeaderLength == DataSegment.TcpHeaderLength && tcp.Payload.Length == DataSegment.PayloadLength;
        if (ok)
        {
            Ipv4Packet.TryParse(EthernetFrame.TryParse(frame, out var e) ? e.Payload : default, out var v4);
            TcpSegment.TryParse(v4.Payload, out var seg);
            bool ts = false, dss = false;
            foreach (var option in seg.ReadOptions())
            {
                if (TcpOptions.TryReadTimestamps(option, out var val, out var ecr))
                    ts = val == DataSegment.TsVal && ecr == DataSegment.TsEcr;
                else if (option.Kind == TcpOptionKind.Mptcp
                         && Transport.Wire.Mptcp.DssOption.Read(option.Raw, out var d) == Transport.Wire.Mptcp.MptcpOptionError.None)
                    dss = d.DataAck == DataSegment.DataAck && d.DataSequenceNumber == DataSegment.Dsn && d.DsnIs64 && d.DataAckIs64
                        && d.Checksum is { } c
                        && MptcpCrypto.DssChecksum(d.DataSequenceNumber, d.SubflowSequenceNumber, d.DataLevelLength, c, seg.Payload) == 0;
            }
            ok = ts && dss;
        }
        if (!ok) Console.Error.WriteLine("self-check failed: the built frame is not the one the benchmarks describe");
        return ok;
    }
}
