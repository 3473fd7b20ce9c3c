using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MptcpActors.Transport.Wire;

/// <summary>RFC 1071 one's-complement sum, accumulated in pieces so pseudo-headers need no copy.</summary>
public struct InternetChecksum
{
    private ulong _sum;
    private bool _odd;

    public void Add(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        if (_odd)
        {
            _sum += data[0];
            data = data[1..];
            _odd = false;
        }
        if (data.Length >= 8)
        {
            _sum += WideSum(data);
            data = data[(data.Length & ~7)..];
        }
        while (data.Length >= 2)
        {
            _sum += BinaryPrimitives.ReadUInt16BigEndian(data);
            data = data[2..];
        }
        if (data.Length == 1)
        {
            _sum += (ulong)data[0] << 8;
            _odd = true;
        }
    }

    /// <summary>
    /// The sum of the whole 8-byte words of <paramref name="data"/> as 16-bit words in network order, folded. Taken 32
    /// bits at a time in the machine's byte order into 64-bit sums (eight at once where vectors are fast), no carry is
    /// lost (it would take gigabytes to overflow), folding gives the one's-complement sum of 16-bit words in that order,
    /// and swapping its bytes gives it in network order (RFC 1071 2(B), 2(C)): far fewer additions and no byte swap per
    /// word, on every frame checksummed.
    /// </summary>
    private static ulong WideSum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        var at = 0;
        if (Vector256.IsHardwareAccelerated && data.Length >= Vector256<byte>.Count)
        {
            var lanes = Vector256<ulong>.Zero;
            ref var start = ref MemoryMarshal.GetReference(data);
            for (; at <= data.Length - Vector256<byte>.Count; at += Vector256<byte>.Count)
            {
                var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref start, (nuint)at).AsUInt32());
                lanes += low + high;
            }
            sum = Vector256.Sum(lanes);
        }
        foreach (var w in MemoryMarshal.Cast<byte, ulong>(data[at..(data.Length & ~7)])) sum += (w & 0xFFFF_FFFF) + (w >> 32);
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness((ushort)sum) : sum;
    }

    public void Add(ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, value);
        Add(b);
    }

    public void Add(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        Add(b);
    }

    public void Add(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        Add(b);
    }

    /// <summary>The folded one's-complement of the sum: the value to put in a checksum field.</summary>
    public readonly ushort Finish()
    {
        var s = _sum;
        while (s >> 16 != 0) s = (s & 0xFFFF) + (s >> 16);
        return (ushort)~s;
    }

    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        var c = new InternetChecksum();
        c.Add(data);
        return c.Finish();
    }

    /// <summary>TCP/UDP checksum over the IPv4 or IPv6 pseudo-header (RFC 9293 3.1, RFC 8200 8.1) and the segment.</summary>
    public static ushort Transport(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, ReadOnlySpan<byte> segment)
    {
        var c = PseudoHeader(source, destination, protocol, segment.Length);
        c.Add(segment);
        return c.Finish();
    }

    /// <summary>
    /// The folded sum of the pseudo-header alone, not complemented: what a segment left to checksum offload carries in its
    /// checksum field (the device sums the segment over it and stores the complement, Linux's CHECKSUM_PARTIAL).
    /// </summary>
    public static ushort PseudoHeaderSum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int segmentLength) =>
        (ushort)~PseudoHeader(source, destination, protocol, segmentLength).Finish();

    private static InternetChecksum PseudoHeader(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int segmentLength)
    {
        var c = new InternetChecksum();
        c.Add(source);
        c.Add(destination);
        if (source.Length == 4)
        {
            c.Add((ushort)protocol);
            c.Add((ushort)segmentLength);
        }
        else
        {
            c.Add((uint)segmentLength);
            c.Add((uint)protocol);
        }
        return c;
    }
}
