using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using MptcpActors.Transport.Devices.Linux;
using MptcpActors.Transport.Wire;

namespace MptcpActors.Benchmarks.Interop;

/// <summary>
/// The ceiling a userspace stack on this machine can reach on the benchmark's veth: an <see cref="AfPacketDevice"/> on
/// the engine's end sends 1514-byte Ethernet frames (IPv4/UDP to the kernel's address, discard port) as fast as it can
/// for a few seconds; what the kernel's end received (its rx_packets) over the time is the ceiling. Measured twice: in
/// sendmmsg batches of 64 (<see cref="AfPacketTransmitBatch"/>) and with one send() per frame
/// (<see cref="AfPacketDevice.Transmit"/>, the call the engine's DeviceActor makes today). The loop runs on a thread
/// moved into the engine's namespace with setns(2), so the socket lives there.
/// </summary>
internal static class RawSendCeiling
{
    public const int FrameLength = 1514;

    /// <summary>One measurement: frames the socket took and frames the kernel's end received, over the seconds, and the sending thread's CPU.</summary>
    public readonly record struct Result(long Offered, long Delivered, double Seconds, double CpuSeconds)
    {
        public double DeliveredPerSecond => Delivered / Seconds;
        public double Gbps => DeliveredPerSecond * FrameLength * 8 / 1e9;

        /// <summary>The same frames as TCP payload (1448 bytes each: 1500 − IPv4 20 − TCP 20 − timestamps 12).</summary>
        public double PayloadGbps => DeliveredPerSecond * 1448 * 8 / 1e9;
        public double CpuSecondsPerGigabit => CpuSeconds / (Delivered * (double)FrameLength * 8 / 1e9);
    }

    public static Result Measure(InteropNetwork net, bool batched, TimeSpan duration)
    {
        Result result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                NetworkNamespace.Enter(net.EngineNs);
                using var device = new AfPacketDevice(net.EngineIf);
                var frame = BuildFrame(device.MacAddress, Convert.FromHexString(net.KernelMac.Replace(":", "")), net.EngineIp, net.KernelIp);
                result = batched ? Run(net, device, frame, duration, true) : Run(net, device, frame, duration, false);
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { IsBackground = true, Name = "afpacket-ceiling" };
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException($"raw AF_PACKET send loop failed: {failure.Message}", failure);
        return result;
    }

    private static Result Run(InteropNetwork net, AfPacketDevice device, byte[] frame, TimeSpan duration, bool batched)
    {
        using var batch = device.CreateTransmitBatch(64);
        // Warm up (JIT, socket buffers), then measure.
        Loop(device, batch, frame, TimeSpan.FromMilliseconds(300), batched);
        Thread.Sleep(100);
        var before = net.KernelReceivedFrames();
        var cpu0 = ThreadCpuSeconds();
        var sw = Stopwatch.StartNew();
        var offered = Loop(device, batch, frame, duration, batched);
        var seconds = sw.Elapsed.TotalSeconds;
        var cpu = ThreadCpuSeconds() - cpu0;
        Thread.Sleep(100); // let the kernel's side finish what is queued before reading its counter
        var delivered = net.KernelReceivedFrames() - before;
        return new Result(offered, delivered, seconds, cpu);
    }

    private static long Loop(AfPacketDevice device, AfPacketTransmitBatch batch, byte[] frame, TimeSpan duration, bool batched)
    {
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long offered = 0;
        if (batched)
        {
            do
            {
                for (var i = 0; i < batch.Capacity; i++) batch.TryAdd(frame);
                offered += batch.Flush();
            } while (Stopwatch.GetTimestamp() < end);
        }
        else
        {
            var before = device.Statistics.TransmittedFrames;
            do
            {
                for (var i = 0; i < 64; i++) device.Transmit(frame);
            } while (Stopwatch.GetTimestamp() < end);
            offered = device.Statistics.TransmittedFrames - before;
        }
        return offered;
    }

    /// <summary>Ethernet II + IPv4 (DF, TTL 64) + UDP port 9 → 9 with a zero payload: 1514 bytes, valid IP checksum, UDP checksum 0 (none).</summary>
    public static byte[] BuildFrame(ReadOnlySpan<byte> sourceMac, ReadOnlySpan<byte> destinationMac, string sourceIp, string destinationIp)
    {
        var f = new byte[FrameLength];
        destinationMac.CopyTo(f);
        sourceMac.CopyTo(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
        var ip = f.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], FrameLength - 14);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);
        ip[8] = 64;
        ip[9] = 17;
        System.Net.IPAddress.Parse(sourceIp).GetAddressBytes().CopyTo(ip[12..]);
        System.Net.IPAddress.Parse(destinationIp).GetAddressBytes().CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip));
        var udp = f.AsSpan(34, 8);
        BinaryPrimitives.WriteUInt16BigEndian(udp, 9);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 9);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], FrameLength - 34);
        return f;
    }

    private static double ThreadCpuSeconds()
    {
        // CLOCK_THREAD_CPUTIME_ID = 3
        return clock_gettime(3, out var ts) == 0 ? ts.Seconds + ts.Nanoseconds / 1e9 : 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc")]
    private static extern int clock_gettime(int clock, out TimeSpec ts);
}
