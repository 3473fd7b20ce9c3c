using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire.Tcp;

/// <summary>Typed readers for the classic TCP options; each returns false when the option's length is not the one its RFC fixes.</summary>
public static class TcpOptions
{
    public const int MssLength = 4;
    public const int WindowScaleLength = 3;
    public const int SackPermittedLength = 2;
    public const int TimestampsLength = 10;
    /// <summary>RFC 7323 2.3: shift counts above 14 are treated as 14.</summary>
    public const int MaxWindowScale = 14;

    public static bool TryReadMss(TcpOption o, out ushort mss)
    {
        mss = 0;
        if (o.Kind != TcpOptionKind.MaximumSegmentSize || o.Raw.Length != MssLength) return false;
        mss = BinaryPrimitives.ReadUInt16BigEndian(o.Data);
        return true;
    }

    public static bool TryReadWindowScale(TcpOption o, out byte shift)
    {
        shift = 0;
        if (o.Kind != TcpOptionKind.WindowScale || o.Raw.Length != WindowScaleLength) return false;
        shift = o.Data[0];
        return true;
    }

    public static bool IsSackPermitted(TcpOption o) => o.Kind == TcpOptionKind.SackPermitted && o.Raw.Length == SackPermittedLength;

    public static bool TryReadTimestamps(TcpOption o, out uint value, out uint echoReply)
    {
        value = echoReply = 0;
        if (o.Kind != TcpOptionKind.Timestamps || o.Raw.Length != TimestampsLength) return false;
        value = BinaryPrimitives.ReadUInt32BigEndian(o.Data);
        echoReply = BinaryPrimitives.ReadUInt32BigEndian(o.Data[4..]);
        return true;
    }

    /// <summary>Copies the SACK blocks (RFC 2018) into <paramref name="blocks"/>; returns how many, or -1 when the length is not 2 + 8n.</summary>
    public static int ReadSackBlocks(TcpOption o, Span<SackBlock> blocks)
    {
        if (o.Kind != TcpOptionKind.Sack || o.Raw.Length < 10 || (o.Raw.Length - 2) % 8 != 0) return -1;
        var n = Math.Min((o.Raw.Length - 2) / 8, blocks.Length);
        for (var i = 0; i < n; i++)
            blocks[i] = new SackBlock(BinaryPrimitives.ReadUInt32BigEndian(o.Data[(i * 8)..]), BinaryPrimitives.ReadUInt32BigEndian(o.Data[(i * 8 + 4)..]));
        return n;
    }

    public static int WriteMss(Span<byte> d, ushort mss)
    {
        d[0] = (byte)TcpOptionKind.MaximumSegmentSize;
        d[1] = MssLength;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], mss);
        return MssLength;
    }

    public static int WriteWindowScale(Span<byte> d, byte shift)
    {
        d[0] = (byte)TcpOptionKind.WindowScale;
        d[1] = WindowScaleLength;
        d[2] = shift;
        return WindowScaleLength;
    }

    public static int WriteSackPermitted(Span<byte> d)
    {
        d[0] = (byte)TcpOptionKind.SackPermitted;
        d[1] = SackPermittedLength;
        return SackPermittedLength;
    }

    public static int WriteTimestamps(Span<byte> d, uint value, uint echoReply)
    {
        d[0] = (byte)TcpOptionKind.Timestamps;
        d[1] = TimestampsLength;
        BinaryPrimitives.WriteUInt32BigEndian(d[2..], value);
        BinaryPrimitives.WriteUInt32BigEndian(d[6..], echoReply);
        return TimestampsLength;
    }

    public static int WriteSackBlocks(Span<byte> d, ReadOnlySpan<SackBlock> blocks)
    {
        d[0] = (byte)TcpOptionKind.Sack;
        d[1] = (byte)(2 + blocks.Length * 8);
        for (var i = 0; i < blocks.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(d[(2 + i * 8)..], blocks[i].Left);
            BinaryPrimitives.WriteUInt32BigEndian(d[(6 + i * 8)..], blocks[i].Right);
        }
        return 2 + blocks.Length * 8;
    }
}

/// <summary>One SACK block: the sequence numbers of the first byte and the byte after the last (RFC 2018 3).</summary>
public readonly record struct SackBlock(uint Left, uint Right);
